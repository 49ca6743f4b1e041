#include "transport/xen_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "transport/xen_paths.h"

static int match_role(const struct tsr_config *config, const char *name, enum tsr_xen_role role)
{
	switch (role) {
	case TSR_XEN_ROLE_AGENT:
		return tsr_xen_config_match(config, name);
	case TSR_XEN_ROLE_PV_DISPLAY:
		return tsr_xen_config_match_pv(config, name);
	case TSR_XEN_ROLE_PV_INPUT: {
		int index = tsr_xen_config_match_any(config, name);
		return index >= 0 && config->domains[index].input == TSR_INPUT_PV ? index : -1;
	}
	}
	return -1;
}

bool tsr_xen_identify(struct xs_handle *xs, const struct tsr_config *config, uint32_t domid,
		      enum tsr_xen_role role, struct tsr_xen_identity *out)
{
	*out = (struct tsr_xen_identity){.index = -1, .named_index = -1, .name = "?"};
	char path[TSR_XEN_PATH_MAX];
	if (!tsr_xen_name_path(domid, path, sizeof(path)))
		return false;
	unsigned int length = 0;
	char *name = xs_read(xs, XBT_NULL, path, &length);
	if (!name)
		return false;
	/* Embedded NULs: not a name, matches nothing. */
	if (strlen(name) == length) {
		out->index = match_role(config, name, role);
		out->named_index = tsr_xen_config_match_any(config, name);
		snprintf(out->name, sizeof(out->name), "%.*s", (int)TSR_NAME_MAX - 1, name);
	}
	free(name);
	return true;
}
