/* Which renderer draws. auto looks for a DRM render node before it asks
 * EGL anything: without one Mesa can only offer a software rasteriser,
 * and starting one (its threads, its memory) just to refuse it would cost
 * every start-up on machines without a GPU. With a render node, the
 * driver's own GL_RENDERER decides. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "render/renderer_select.h"
#include "tessera/log.h"

static bool have_render_node(void)
{
	DIR *dir = opendir("/dev/dri");
	if (!dir)
		return false;
	bool found = false;
	for (struct dirent *entry; !found && (entry = readdir(dir)) != NULL;)
		found = strncmp(entry->d_name, "renderD", 7) == 0;
	closedir(dir);
	return found;
}

struct tsr_renderer *tsr_renderer_select(enum tsr_renderer_choice choice)
{
	if (choice == TSR_RENDERER_PIXMAN)
		return tsr_renderer_pixman_create();
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	if (choice == TSR_RENDERER_AUTO && !have_render_node()) {
		tsr_log(TSR_LOG_INFO, "renderer: pixman (auto: no DRM render node for GLES)");
		return tsr_renderer_pixman_create();
	}
	struct tsr_renderer *gles =
	    tsr_renderer_gles_create(choice == TSR_RENDERER_GLES, why, sizeof(why));
	if (gles)
		return gles;
	tsr_log(choice == TSR_RENDERER_GLES ? TSR_LOG_WARN : TSR_LOG_INFO,
		"renderer: pixman (%s: GLES cannot start: %s)",
		choice == TSR_RENDERER_GLES ? "gles" : "auto", why);
#else
	if (choice == TSR_RENDERER_GLES)
		tsr_log(TSR_LOG_WARN, "renderer: pixman (gles: this build has no GLES, -Dgles)");
#endif
	return tsr_renderer_pixman_create();
}
