/* Which renderer draws. auto looks for a DRM render node before it asks
 * EGL anything: without one Mesa can only offer a software rasteriser,
 * and starting one (its threads, its memory) just to refuse it would cost
 * every start-up on machines without a GPU. With a render node, the
 * driver's own GL_RENDERER decides.
 *
 * auto keeps pixman on the KMS backend: its buffers are dumb buffers,
 * mapped write-combined, and every GLES pass reads its clip from the
 * target (render_gles.c), which is slow on such memory; GLES on KMS pays
 * off with GBM scan-out buffers, not done yet (issue 11). renderer = gles
 * still uses it there. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "render/renderer_select.h"
#include "tessera/log.h"

#ifdef TSR_HAVE_GLES
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
#endif

struct tsr_renderer *tsr_renderer_select(const struct tsr_output_config *output)
{
	enum tsr_renderer_choice choice = output->renderer;
	if (choice == TSR_RENDERER_PIXMAN)
		return tsr_renderer_pixman_create();
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	if (choice == TSR_RENDERER_AUTO && output->backend == TSR_BACKEND_KMS) {
		tsr_log(TSR_LOG_INFO, "renderer: pixman (auto: GLES on KMS needs GBM scan-out "
				      "buffers, not done yet)");
		return tsr_renderer_pixman_create();
	}
	if (choice == TSR_RENDERER_AUTO && !have_render_node()) {
		tsr_log(TSR_LOG_INFO, "renderer: pixman (auto: no DRM render node for GLES)");
		return tsr_renderer_pixman_create();
	}
	struct tsr_renderer *gles =
	    tsr_renderer_gles_create(choice == TSR_RENDERER_GLES, why, sizeof(why));
	if (gles)
		return gles;
	/* auto also lands here when the driver is a software rasteriser. */
	tsr_log(choice == TSR_RENDERER_GLES ? TSR_LOG_WARN : TSR_LOG_INFO,
		"renderer: pixman (%s: %s)",
		choice == TSR_RENDERER_GLES ? "gles: GLES cannot start" : "auto: no GLES", why);
#else
	tsr_log(choice == TSR_RENDERER_GLES ? TSR_LOG_WARN : TSR_LOG_INFO,
		"renderer: pixman (%s: this build has no GLES, -Dgles)",
		choice == TSR_RENDERER_GLES ? "gles" : "auto");
#endif
	return tsr_renderer_pixman_create();
}
