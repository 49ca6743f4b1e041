/* Which renderer draws.
 *
 * Headless (and KMS without a render device: GPU passthrough, builds
 * without libgbm): tsr_renderer_select, once, before any backend exists.
 * auto looks for a DRM render node before it asks EGL anything: without
 * one Mesa can only offer a software rasteriser, and starting one (its
 * threads, its memory) just to refuse it would cost every start-up on
 * machines without a GPU. With a render node, the driver's own
 * GL_RENDERER decides. auto keeps pixman on KMS there: GLES on KMS pays
 * off only drawing straight into GBM scan-out buffers.
 *
 * KMS with GBM: main.c waits for the first card (the backend's
 * listener.render_device, before the card's outputs exist) and calls
 * tsr_renderer_select_on_device with the card's GBM device. GLES then runs
 * on EGL's GBM platform of that card and draws into its gbm_bos: no upload,
 * no read-back. auto keeps it only on a hardware driver: kms_swrast
 * (llvmpipe) composes ~40x slower than pixman (README.md, "Renderers"). A
 * card without a render node (vkms, bochs, simpledrm: display only) can
 * only get kms_swrast, so auto does not even open GBM there; on a card
 * with one, the driver's GL_RENDERER (and DRI driver name) decides.
 * renderer = gles uses it even there (the VM tests do). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "render/renderer_select.h"
#include "tessera/log.h"
#include "tessera/render_device.h"

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

bool tsr_renderer_select_waits_for_device(const struct tsr_output_config *output)
{
#if defined(TSR_HAVE_GLES) && defined(TSR_HAVE_GBM)
	return output->backend == TSR_BACKEND_KMS && output->renderer != TSR_RENDERER_PIXMAN;
#else
	return false;
#endif
}

struct tsr_renderer *tsr_renderer_select(const struct tsr_output_config *output)
{
	enum tsr_renderer_choice choice = output->renderer;
	if (choice == TSR_RENDERER_PIXMAN)
		return tsr_renderer_pixman_create();
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	if (choice == TSR_RENDERER_AUTO && output->backend == TSR_BACKEND_KMS) {
		tsr_log(TSR_LOG_INFO, "renderer: pixman (auto: GLES on KMS needs GBM scan-out "
				      "buffers, and there is no GBM device here)");
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

struct tsr_renderer *tsr_renderer_select_on_device(const struct tsr_output_config *output,
						   struct tsr_render_device *device, bool *direct)
{
	*direct = false;
	enum tsr_renderer_choice choice = output->renderer;
#if defined(TSR_HAVE_GLES) && defined(TSR_HAVE_GBM)
	if (choice == TSR_RENDERER_AUTO && device && !device->has_render_node) {
		/* Neither GBM nor EGL is opened: loading Mesa only to refuse
		 * kms_swrast would cost every start-up on such a card. */
		tsr_log(TSR_LOG_INFO,
			"renderer: pixman (auto on %s: a display-only card without a render "
			"node; EGL would run kms_swrast, a software rasteriser)",
			device->path);
		return tsr_renderer_pixman_create();
	}
	if (choice != TSR_RENDERER_PIXMAN && device) {
		char why[256] = "";
		struct tsr_renderer *gles = tsr_renderer_gles_create_on(
		    device, choice == TSR_RENDERER_GLES, why, sizeof(why));
		if (gles) {
			*direct = true;
			tsr_log(TSR_LOG_INFO,
				"renderer: gles (%s: EGL on the GBM platform of %s, drawing into "
				"its scan-out buffers)",
				choice == TSR_RENDERER_GLES ? "gles" : "auto: a hardware driver",
				device->path);
			return gles;
		}
		tsr_log(choice == TSR_RENDERER_GLES ? TSR_LOG_WARN : TSR_LOG_INFO,
			"renderer: pixman (%s on %s: %s)",
			choice == TSR_RENDERER_GLES ? "gles: GLES cannot start" : "auto",
			device->path, why);
		return tsr_renderer_pixman_create();
	}
	if (choice == TSR_RENDERER_AUTO) {
		tsr_log(TSR_LOG_INFO, "renderer: pixman (auto: the KMS card has no GBM device)");
		return tsr_renderer_pixman_create();
	}
#endif
	/* No GBM device: GLES (renderer = gles) uploads and reads back. */
	return tsr_renderer_select(output);
}
