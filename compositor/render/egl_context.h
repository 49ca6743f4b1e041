/* An EGL display and GLES context on Mesa's surfaceless platform or on a
 * GBM device: no window system and no surface, only framebuffer objects
 * (render_gles.c). */
#ifndef TSR_RENDER_EGL_CONTEXT_H
#define TSR_RENDER_EGL_CONTEXT_H

#include <EGL/egl.h>
#include <stdbool.h>
#include <stddef.h>

struct gbm_device;

struct tsr_egl_context {
	EGLDisplay display;
	EGLContext context;
	bool gbm;	    /* on EGL_PLATFORM_GBM_KHR, else surfaceless */
	char driver[64];    /* the DRI driver (EGL_MESA_query_driver), "?" unknown */
	char renderer[128]; /* GL_RENDERER */
	char version[128];  /* GL_VERSION */
	/* llvmpipe, softpipe or swrast: a software rasteriser, slower than
	 * pixman for Tessera's work (README.md, "Renderers"). */
	bool software;
	/* GL_UNPACK_ROW_LENGTH / GL_PACK_ROW_LENGTH (GLES 3, or
	 * EXT_unpack_subimage / NV_pack_subimage): sub-rectangles of CPU
	 * memory move in one call instead of row by row. */
	bool unpack_row_length, pack_row_length;
	/* EGL_EXT_image_dma_buf_import and GL_OES_EGL_image: Tessera's own
	 * GBM output buffers can be framebuffers (never a guest's dma-buf). */
	bool dmabuf_import;
};

/* Opens the display (on gbm, or surfaceless when gbm is NULL), creates a
 * GLES 2 context and makes it current. On failure fills err with the
 * reason and leaves nothing open. */
bool tsr_egl_context_init(struct tsr_egl_context *egl, struct gbm_device *gbm, char *err,
			  size_t err_len);
bool tsr_egl_context_make_current(struct tsr_egl_context *egl);
void tsr_egl_context_fini(struct tsr_egl_context *egl); /* accepts a failed init */

#endif
