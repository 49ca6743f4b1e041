#include <stdio.h>
#include <string.h>

#include "tessera/config.h"
#include "transport/xen_paths.h"

#define VCHAN_TOKEN_PREFIX "tessera-vchan:"

bool tsr_xen_parse_domid(const char *untrusted_text, uint32_t *out_domid)
{
	if (!untrusted_text || !untrusted_text[0])
		return false;
	if (untrusted_text[0] == '0' && untrusted_text[1] != '\0')
		return false;
	uint32_t value = 0;
	/* At most 5 digits: the loop never gets near overflow. */
	for (size_t i = 0; untrusted_text[i]; i++) {
		char c = untrusted_text[i];
		if (c < '0' || c > '9' || i >= 5)
			return false;
		value = value * 10u + (uint32_t)(c - '0');
	}
	if (value > TSR_XEN_DOMID_MAX)
		return false;
	*out_domid = value;
	return true;
}

static bool format_domain_path(uint32_t domid, const char *suffix, char *out, size_t out_len)
{
	if (domid > TSR_XEN_DOMID_MAX)
		return false;
	int written = snprintf(out, out_len, "/local/domain/%u/%s", domid, suffix);
	return written > 0 && (size_t)written < out_len;
}

bool tsr_xen_vchan_path(uint32_t domid, char *out, size_t out_len)
{
	return format_domain_path(domid, TSR_XEN_VCHAN_SUBPATH, out, out_len);
}

bool tsr_xen_name_path(uint32_t domid, char *out, size_t out_len)
{
	return format_domain_path(domid, "name", out, out_len);
}

bool tsr_xen_vchan_token(uint32_t domid, char *out, size_t out_len)
{
	if (domid > TSR_XEN_DOMID_MAX)
		return false;
	int written = snprintf(out, out_len, VCHAN_TOKEN_PREFIX "%u", domid);
	return written > 0 && (size_t)written < out_len;
}

bool tsr_xen_parse_vchan_token(const char *token, uint32_t *out_domid)
{
	size_t prefix = strlen(VCHAN_TOKEN_PREFIX);
	if (!token || strncmp(token, VCHAN_TOKEN_PREFIX, prefix) != 0)
		return false;
	return tsr_xen_parse_domid(token + prefix, out_domid);
}

/* display_kind < 0: any display path. */
static int config_match(const struct tsr_config *config, const char *toolstack_name,
			int display_kind)
{
	if (!toolstack_name || !toolstack_name[0] || strlen(toolstack_name) >= TSR_NAME_MAX)
		return -1;
	for (size_t i = 0; i < config->domain_count; i++) {
		const struct tsr_domain_config *domain = &config->domains[i];
		if (domain->transport == TSR_TRANSPORT_XEN &&
		    (display_kind < 0 || (int)domain->display == display_kind) &&
		    strcmp(domain->name, toolstack_name) == 0)
			return (int)i;
	}
	return -1;
}

int tsr_xen_config_match(const struct tsr_config *config, const char *toolstack_name)
{
	return config_match(config, toolstack_name, TSR_DISPLAY_AGENT);
}

int tsr_xen_config_match_pv(const struct tsr_config *config, const char *toolstack_name)
{
	return config_match(config, toolstack_name, TSR_DISPLAY_PV);
}

int tsr_xen_config_match_any(const struct tsr_config *config, const char *toolstack_name)
{
	return config_match(config, toolstack_name, -1);
}
