/* The GLES2 renderer: the same table as render_pixman.c, drawn by the GPU
 * into a framebuffer object per target buffer.
 *
 * Targets in CPU memory (headless outputs, dumb buffers): a pass uploads
 * the target's pixels inside the pass clip into the target's texture,
 * draws with a scissor per clipped rectangle, and end() reads back exactly
 * the clip rectangles: pixels outside the clip are never written, whatever
 * the texture holds there, which is what the scene's damage and buffer-age
 * history rely on.
 *
 * Targets on the renderer's own GBM device (KMS output buffers, a
 * tsr_render_target; the renderer was created on that device): imported
 * once as an EGLImage from their dma-buf, cached until the buffer is
 * destroyed (tsr_buffer.renderer_forget), and drawn into directly: no
 * upload, no read-back; end() waits for the GPU (glFinish) so the commit
 * that follows scans out finished pixels. The scissor keeps every pixel
 * outside the clip as the buffer had it, so buffer age works unchanged.
 * Only these buffers ever reach EGL as dma-bufs: a guest's never does
 * (llvmpipe crashes sampling a foreign dma-buf).
 *
 * Guest pixels are uploaded per drawn rectangle (the damage), never as
 * whole buffers kept in textures: nothing can go stale, and a guest buffer
 * that goes away leaves no texture behind. Opaque XRGB onto XRGB is the
 * glTexSubImage2D itself (no draw: on llvmpipe a textured quad costs ~47x
 * a memcpy, the upload ~1x). Formats without a GLES upload (RGB565, YUYV,
 * ...) and odd pitches are converted to 8888 by a pixman renderer first.
 *
 * Colours travel in the CPU buffers' byte order (B, G, R, A as r, g, b, a):
 * see gles_shaders.c. Texture row 0 is buffer row 0, so nothing is flipped
 * (GL's "bottom" is simply row 0 here). */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <pixman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/egl_context.h"
#include "render/gles_shaders.h"
#include "tessera/log.h"
#include "util/scratch.h"
#include "tessera/protocol.h"
#include "render/scale_geometry.h"
#include "tessera/render_device.h"
#include "tessera/renderer.h"

/* GLES 3 names; the same values as EXT_unpack_subimage / NV_pack_subimage. */
#ifndef GL_UNPACK_ROW_LENGTH
#define GL_UNPACK_ROW_LENGTH 0x0CF2
#endif
#ifndef GL_PACK_ROW_LENGTH
#define GL_PACK_ROW_LENGTH 0x0D02
#endif

/* Outputs times buffers per output (double or triple buffering) on a
 * typical desk; a target beyond that evicts the least recently used. */
#define TARGET_CACHE_SIZE 8

/* Scratch textures and staging grow per dimension to the largest draw,
 * but never to more pixels than this: a guest's wide buffer followed by a
 * tall one must not make a width x height product of both (16384 x 16384
 * would be 1 GiB). One guest buffer is at most TSR_MAX_BUFFER_BYTES. */
#define SCRATCH_PIXELS_MAX (TSR_MAX_BUFFER_BYTES / 4u + 65536u)

struct target_entry {
	/* A key only, never dereferenced, but for an imported target's
	 * renderer_forget hook, which is live until the entry goes. */
	struct tsr_buffer *buffer;
	uint32_t width, height;
	GLuint texture, framebuffer;
	uint64_t last_used;
	EGLImageKHR image;  /* imported: the buffer's own memory, else EGL_NO_IMAGE_KHR */
	bool failed_import; /* importable, but EGL refused: upload and read back */
};

/* A texture reused for every draw of its kind, grown to the largest. */
struct scratch_texture {
	GLuint texture, framebuffer; /* framebuffer: only for the reduced one */
	uint32_t width, height;
	GLenum format; /* GL_RGBA or GL_ALPHA */
};

struct gles_renderer {
	struct tsr_renderer base;
	struct tsr_egl_context egl;
	/* The GBM device the display is on (a reference), or NULL. */
	struct tsr_render_device *device;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
	struct tsr_gles_program programs[TSR_GLES_PROGRAM_COUNT];
	uint32_t max_texture;
	struct target_entry targets[TARGET_CACHE_SIZE];
	uint64_t passes;
	struct scratch_texture source, reduced, mask;
	/* Converts sources GLES cannot upload as they are into staging. */
	struct tsr_renderer *converter;
	struct tsr_buffer *staging;
	/* Read-back rows when GL cannot pack into a stride of ours. */
	uint8_t *rows;
	size_t rows_size;
	bool warned_large; /* one log line for draws beyond the limits */

	/* Valid between begin() and end(). */
	bool in_pass;
	struct tsr_buffer *target;
	struct target_entry *entry;
	pixman_region32_t clip; /* pass clip ∩ target extent */
};

static struct gles_renderer *gles_from(struct tsr_renderer *renderer)
{
	return (struct gles_renderer *)renderer;
}

static void set_texture_filter(GLuint texture, GLint filter)
{
	glBindTexture(GL_TEXTURE_2D, texture);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
}

static GLuint create_texture(GLenum format, uint32_t width, uint32_t height)
{
	GLuint texture = 0;
	glGenTextures(1, &texture);
	glBindTexture(GL_TEXTURE_2D, texture);
	/* Non-power-of-two sizes need CLAMP_TO_EDGE and no mipmaps in GLES2. */
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	glTexImage2D(GL_TEXTURE_2D, 0, (GLint)format, (GLsizei)width, (GLsizei)height, 0, format,
		     GL_UNSIGNED_BYTE, NULL);
	set_texture_filter(texture, GL_NEAREST);
	return texture;
}

static GLuint create_framebuffer(GLuint texture)
{
	GLuint framebuffer = 0;
	glGenFramebuffers(1, &framebuffer);
	glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		glDeleteFramebuffers(1, &framebuffer);
		return 0;
	}
	return framebuffer;
}

/* Makes scratch at least width x height (rounded up, so that sizes
 * varying by a few pixels do not reallocate every frame). */
static bool ensure_scratch(struct gles_renderer *gles, struct scratch_texture *scratch,
			   uint32_t width, uint32_t height, bool framebuffer)
{
	if (scratch->texture && width <= scratch->width && height <= scratch->height)
		return true;
	if (width > gles->max_texture || height > gles->max_texture)
		return false;
	uint32_t new_width = width > scratch->width ? (width + 63) & ~63u : scratch->width;
	uint32_t new_height = height > scratch->height ? (height + 63) & ~63u : scratch->height;
	if ((uint64_t)new_width * new_height > SCRATCH_PIXELS_MAX) {
		new_width = width;
		new_height = height;
	}
	new_width = new_width > gles->max_texture ? gles->max_texture : new_width;
	new_height = new_height > gles->max_texture ? gles->max_texture : new_height;
	if (scratch->framebuffer)
		glDeleteFramebuffers(1, &scratch->framebuffer);
	if (scratch->texture)
		glDeleteTextures(1, &scratch->texture);
	scratch->framebuffer = 0;
	scratch->width = scratch->height = 0;
	scratch->texture = create_texture(scratch->format, new_width, new_height);
	if (!scratch->texture)
		return false;
	if (framebuffer) {
		scratch->framebuffer = create_framebuffer(scratch->texture);
		if (!scratch->framebuffer) {
			glDeleteTextures(1, &scratch->texture);
			scratch->texture = 0;
			return false;
		}
	}
	scratch->width = new_width;
	scratch->height = new_height;
	return true;
}

static void scratch_fini(struct scratch_texture *scratch)
{
	if (scratch->framebuffer)
		glDeleteFramebuffers(1, &scratch->framebuffer);
	if (scratch->texture)
		glDeleteTextures(1, &scratch->texture);
	scratch->framebuffer = scratch->texture = 0;
}

/* Uploads width x height pixels of bpp bytes (4: GL_RGBA, 1: GL_ALPHA)
 * whose first row starts at pixels into texture at (x, y). */
static void upload(const struct gles_renderer *gles, GLuint texture, GLenum format, uint32_t bpp,
		   int32_t x, int32_t y, const uint8_t *pixels, size_t stride, uint32_t width,
		   uint32_t height)
{
	glBindTexture(GL_TEXTURE_2D, texture);
	if (stride == (size_t)width * bpp) {
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, (GLsizei)width, (GLsizei)height, format,
				GL_UNSIGNED_BYTE, pixels);
	} else if (gles->egl.unpack_row_length && stride % bpp == 0) {
		glPixelStorei(GL_UNPACK_ROW_LENGTH, (GLint)(stride / bpp));
		glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, (GLsizei)width, (GLsizei)height, format,
				GL_UNSIGNED_BYTE, pixels);
		glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
	} else {
		for (uint32_t row = 0; row < height; row++)
			glTexSubImage2D(GL_TEXTURE_2D, 0, x, y + (GLint)row, (GLsizei)width, 1,
					format, GL_UNSIGNED_BYTE, pixels + row * stride);
	}
}

static void evict(struct gles_renderer *gles, struct target_entry *entry)
{
	if (entry->framebuffer)
		glDeleteFramebuffers(1, &entry->framebuffer);
	if (entry->texture)
		glDeleteTextures(1, &entry->texture);
	if (entry->image != EGL_NO_IMAGE_KHR) {
		gles->destroy_image(gles->egl.display, entry->image);
		entry->buffer->renderer_forget = NULL;
		entry->buffer->renderer_forget_data = NULL;
	}
	*entry = (struct target_entry){.image = EGL_NO_IMAGE_KHR};
}

/* An imported target is being destroyed (tsr_buffer_destroy). */
static void forget_target(void *data, struct tsr_buffer *buffer)
{
	struct gles_renderer *gles = data;
	if (!tsr_egl_context_make_current(&gles->egl))
		return;
	for (size_t i = 0; i < TARGET_CACHE_SIZE; i++) {
		if (gles->targets[i].image != EGL_NO_IMAGE_KHR && gles->targets[i].buffer == buffer)
			evict(gles, &gles->targets[i]);
	}
}

/* Whether target is a buffer of the renderer's own GBM device that it can
 * draw into directly. */
static bool importable(const struct gles_renderer *gles, const struct tsr_buffer *target)
{
	const struct tsr_render_target *import = target->render_target;
	return import && gles->device && import->device == gles->device &&
	       gles->egl.dmabuf_import && import->dmabuf_fd >= 0 && !target->read_only;
}

/* The target's memory as the texture of entry. Imported as ABGR8888
 * whatever the buffer's XRGB/ARGB: the same bytes, named so that GL's
 * red is byte 0, the convention every shader and upload here uses (B, G,
 * R, A as r, g, b, a), and alpha lands in byte 3 as the read-back path
 * leaves it. */
static bool import_target(struct gles_renderer *gles, struct target_entry *entry,
			  struct tsr_buffer *target)
{
	const struct tsr_render_target *import = target->render_target;
	EGLint attributes[] = {
	    EGL_WIDTH,
	    (EGLint)target->width,
	    EGL_HEIGHT,
	    (EGLint)target->height,
	    EGL_LINUX_DRM_FOURCC_EXT,
	    DRM_FORMAT_ABGR8888,
	    EGL_DMA_BUF_PLANE0_FD_EXT,
	    import->dmabuf_fd,
	    EGL_DMA_BUF_PLANE0_OFFSET_EXT,
	    (EGLint)import->offset,
	    EGL_DMA_BUF_PLANE0_PITCH_EXT,
	    (EGLint)import->stride,
	    EGL_NONE,
	    EGL_NONE,
	    EGL_NONE,
	    EGL_NONE,
	    EGL_NONE,
	};
	if (import->modifier != DRM_FORMAT_MOD_INVALID &&
	    import->modifier != DRM_FORMAT_MOD_LINEAR) {
		attributes[12] = EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT;
		attributes[13] = (EGLint)(import->modifier & 0xffffffffu);
		attributes[14] = EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT;
		attributes[15] = (EGLint)(import->modifier >> 32);
	}
	entry->image = gles->create_image(gles->egl.display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT,
					  NULL, attributes);
	if (entry->image == EGL_NO_IMAGE_KHR) {
		tsr_log(TSR_LOG_WARN,
			"gles renderer: cannot import a %ux%u GBM output buffer (EGL error "
			"0x%x); it is drawn through upload and read-back",
			target->width, target->height, eglGetError());
		return false;
	}
	glGenTextures(1, &entry->texture);
	glBindTexture(GL_TEXTURE_2D, entry->texture);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	set_texture_filter(entry->texture, GL_NEAREST);
	gles->image_target_texture(GL_TEXTURE_2D, (GLeglImageOES)entry->image);
	entry->framebuffer = create_framebuffer(entry->texture);
	entry->buffer = target;
	target->renderer_forget = forget_target;
	target->renderer_forget_data = gles;
	if (!entry->framebuffer) {
		tsr_log(TSR_LOG_WARN, "gles renderer: a GBM output buffer is no framebuffer; it "
				      "is drawn through upload and read-back");
		return false;
	}
	return true;
}

/* The texture and framebuffer of target: cached by address and size. A
 * new buffer at a freed one's address reuses its texture, harmlessly:
 * every pass uploads what it draws on and reads back only that. Imported
 * targets are dropped when their buffer goes (forget_target), so no
 * address is ever taken for another buffer's memory; a target whose
 * import failed is not tried again (its entry stays, as a memory one). */
static struct target_entry *target_entry_for(struct gles_renderer *gles, struct tsr_buffer *target)
{
	bool direct = importable(gles, target);
	struct target_entry *oldest = &gles->targets[0];
	for (size_t i = 0; i < TARGET_CACHE_SIZE; i++) {
		struct target_entry *entry = &gles->targets[i];
		if (entry->texture && entry->buffer == target && entry->width == target->width &&
		    entry->height == target->height &&
		    (entry->image != EGL_NO_IMAGE_KHR || !direct || entry->failed_import)) {
			entry->last_used = ++gles->passes;
			return entry;
		}
		if (!entry->texture || entry->last_used < oldest->last_used)
			oldest = entry;
		if (!entry->texture)
			break;
	}
	evict(gles, oldest);
	bool failed_import = false;
	if (direct && !import_target(gles, oldest, target)) {
		evict(gles, oldest);
		failed_import = true;
	}
	if (!oldest->framebuffer) {
		oldest->texture = create_texture(GL_RGBA, target->width, target->height);
		oldest->framebuffer = oldest->texture ? create_framebuffer(oldest->texture) : 0;
	}
	if (!oldest->framebuffer) {
		evict(gles, oldest);
		return NULL;
	}
	oldest->failed_import = failed_import;
	oldest->buffer = target;
	oldest->width = target->width;
	oldest->height = target->height;
	oldest->last_used = ++gles->passes;
	return oldest;
}

static void bind_target(const struct gles_renderer *gles)
{
	glBindFramebuffer(GL_FRAMEBUFFER, gles->entry->framebuffer);
	glViewport(0, 0, (GLsizei)gles->target->width, (GLsizei)gles->target->height);
}

/* Draws the box (in the bound framebuffer's pixels) with program, whose
 * uniforms the caller has set but for the shared ones. */
static void draw_box(const struct tsr_gles_program *program, float target_width,
		     float target_height, const pixman_box32_t *box)
{
	const GLfloat corners[] = {
	    (GLfloat)box->x1, (GLfloat)box->y1, (GLfloat)box->x2, (GLfloat)box->y1,
	    (GLfloat)box->x1, (GLfloat)box->y2, (GLfloat)box->x2, (GLfloat)box->y2,
	};
	glUniform2f(program->target_size, target_width, target_height);
	glScissor(box->x1, box->y1, box->x2 - box->x1, box->y2 - box->y1);
	glVertexAttribPointer((GLuint)program->position, 2, GL_FLOAT, GL_FALSE, 0, corners);
	glEnableVertexAttribArray((GLuint)program->position);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

static void draw_on_target(const struct gles_renderer *gles, const struct tsr_gles_program *program,
			   const pixman_box32_t *box)
{
	draw_box(program, (float)gles->target->width, (float)gles->target->height, box);
}

static void use_blending(bool blend)
{
	/* Premultiplied OVER. */
	if (blend) {
		glEnable(GL_BLEND);
		glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
	} else {
		glDisable(GL_BLEND);
	}
}

/* The region box ∩ pass clip (∩ extra, if any); false when empty. */
static bool clipped(const struct gles_renderer *gles, int64_t x1, int64_t y1, int64_t x2,
		    int64_t y2, const pixman_region32_t *extra, pixman_region32_t *out)
{
	x1 = x1 < 0 ? 0 : x1;
	y1 = y1 < 0 ? 0 : y1;
	x2 = x2 > gles->target->width ? gles->target->width : x2;
	y2 = y2 > gles->target->height ? gles->target->height : y2;
	if (x1 >= x2 || y1 >= y2)
		return false;
	pixman_region32_init_rect(out, (int)x1, (int)y1, (unsigned)(x2 - x1), (unsigned)(y2 - y1));
	pixman_region32_intersect(out, out, (pixman_region32_t *)&gles->clip);
	if (extra)
		pixman_region32_intersect(out, out, (pixman_region32_t *)extra);
	if (!pixman_region32_not_empty(out)) {
		pixman_region32_fini(out);
		return false;
	}
	return true;
}

static bool gles_begin(struct tsr_renderer *renderer, struct tsr_buffer *target,
		       const pixman_region32_t *clip)
{
	struct gles_renderer *gles = gles_from(renderer);
	if (gles->in_pass) {
		tsr_log(TSR_LOG_ERROR, "gles renderer: begin() while a pass is running");
		return false;
	}
	if (!target || target->read_only || !target->data ||
	    (target->format != DRM_FORMAT_XRGB8888 && target->format != DRM_FORMAT_ARGB8888) ||
	    target->width == 0 || target->height == 0 || target->width > gles->max_texture ||
	    target->height > gles->max_texture || target->stride % 4 != 0 ||
	    target->stride < (uint64_t)target->width * 4) {
		tsr_log(TSR_LOG_ERROR, "gles renderer: target is not a writable XRGB/ARGB buffer "
				       "within the texture limit");
		return false;
	}
	if (!tsr_egl_context_make_current(&gles->egl)) {
		tsr_log(TSR_LOG_ERROR, "gles renderer: cannot make the context current");
		return false;
	}
	gles->target = target;
	gles->entry = target_entry_for(gles, target);
	if (!gles->entry) {
		tsr_log(TSR_LOG_ERROR, "gles renderer: cannot create a %ux%u framebuffer",
			target->width, target->height);
		return false;
	}
	pixman_region32_init_rect(&gles->clip, 0, 0, target->width, target->height);
	if (clip)
		pixman_region32_intersect(&gles->clip, &gles->clip, (pixman_region32_t *)clip);
	/* What the pass draws on: blending and partial covers need the
	 * target's pixels, which may have changed since the last pass. An
	 * imported target's texture is its memory. */
	int count = 0;
	const pixman_box32_t *box = pixman_region32_rectangles(&gles->clip, &count);
	if (gles->entry->image != EGL_NO_IMAGE_KHR)
		count = 0;
	for (int i = 0; i < count; i++, box++)
		upload(gles, gles->entry->texture, GL_RGBA, 4, box->x1, box->y1,
		       (const uint8_t *)target->data + (size_t)box->y1 * target->stride +
			   (size_t)box->x1 * 4,
		       target->stride, (uint32_t)(box->x2 - box->x1),
		       (uint32_t)(box->y2 - box->y1));
	bind_target(gles);
	glEnable(GL_SCISSOR_TEST);
	gles->in_pass = true;
	return true;
}

/* A premultiplied 0xAARRGGBB in the buffers' byte order (B, G, R, A). */
static void color_of(uint32_t argb, GLfloat color[4])
{
	color[0] = (GLfloat)(argb & 0xff) / 255.0f;
	color[1] = (GLfloat)((argb >> 8) & 0xff) / 255.0f;
	color[2] = (GLfloat)((argb >> 16) & 0xff) / 255.0f;
	color[3] = (GLfloat)((argb >> 24) & 0xff) / 255.0f;
}

static void gles_fill(struct tsr_renderer *renderer, const pixman_box32_t *box, uint32_t argb)
{
	struct gles_renderer *gles = gles_from(renderer);
	pixman_region32_t region;
	if (!gles->in_pass || !box ||
	    !clipped(gles, box->x1, box->y1, box->x2, box->y2, NULL, &region))
		return;
	GLfloat color[4];
	color_of(argb, color);
	bool opaque = (argb >> 24) == 0xff;
	const struct tsr_gles_program *program = &gles->programs[TSR_GLES_SOLID];
	if (opaque) {
		glClearColor(color[0], color[1], color[2], color[3]);
	} else {
		glUseProgram(program->program);
		glUniform4fv(program->color, 1, color);
		use_blending(true);
	}
	int count;
	const pixman_box32_t *rect = pixman_region32_rectangles(&region, &count);
	for (int i = 0; i < count; i++, rect++) {
		if (opaque) {
			glScissor(rect->x1, rect->y1, rect->x2 - rect->x1, rect->y2 - rect->y1);
			glClear(GL_COLOR_BUFFER_BIT);
		} else {
			draw_on_target(gles, program, rect);
		}
	}
	pixman_region32_fini(&region);
}

/* How a source is drawn into an image box: as render_pixman.c's
 * draw_plan, whose filter this reproduces (block averages beyond 2:1, then
 * bilinear with PAD edges). */
struct draw_plan {
	const struct tsr_buffer *src;
	struct tsr_scale_geometry geometry;
	bool opaque;
};

/* 8888 pixels of the source rectangle [x1, x2) x [y1, y2): the guest's own
 * where GL can read them, else converted into staging by pixman. */
static bool source_pixels(struct gles_renderer *gles, const struct draw_plan *plan, int64_t x1,
			  int64_t y1, uint32_t width, uint32_t height, const uint8_t **pixels,
			  size_t *stride)
{
	const struct tsr_buffer *src = plan->src;
	if (tsr_buffer_format_bpp(src->format) == 4 && src->stride % 4 == 0) {
		*pixels = (const uint8_t *)src->data + (size_t)y1 * src->stride + (size_t)x1 * 4;
		*stride = src->stride;
		return true;
	}
	uint32_t format = plan->opaque ? DRM_FORMAT_XRGB8888 : DRM_FORMAT_ARGB8888;
	struct tsr_buffer *staging = gles->staging;
	if (!staging || staging->format != format || staging->width < width ||
	    staging->height < height) {
		uint32_t new_width = staging && staging->width > width ? staging->width : width;
		uint32_t new_height =
		    staging && staging->height > height ? staging->height : height;
		if ((uint64_t)new_width * new_height > SCRATCH_PIXELS_MAX) {
			new_width = width;
			new_height = height;
		}
		tsr_buffer_destroy(staging);
		gles->staging = staging = tsr_buffer_create_memory(new_width, new_height, format);
		if (!staging)
			return false;
	}
	/* Transparent first: alpha sources are drawn OVER it. */
	for (uint32_t row = 0; row < height; row++)
		memset((uint8_t *)staging->data + (size_t)row * staging->stride, 0,
		       (size_t)width * 4);
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, width, height);
	bool ok = gles->converter->impl->begin(gles->converter, staging, &clip);
	if (ok) {
		gles->converter->impl->blit(gles->converter, (struct tsr_buffer *)src, (int32_t)-x1,
					    (int32_t)-y1, NULL);
		ok = gles->converter->impl->end(gles->converter);
	}
	pixman_region32_fini(&clip);
	*pixels = staging->data;
	*stride = staging->stride;
	return ok;
}

static void use_texture_program(const struct gles_renderer *gles, GLuint texture,
				const struct scratch_texture *scratch, float scale_x, float scale_y,
				float offset_x, float offset_y, float extent_x, float extent_y,
				bool opaque)
{
	const struct tsr_gles_program *program = &gles->programs[TSR_GLES_TEXTURE];
	glUseProgram(program->program);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, texture);
	glUniform1i(program->texture, 0);
	glUniform2f(program->texture_size, (float)scratch->width, (float)scratch->height);
	glUniform2f(program->map_scale, scale_x, scale_y);
	glUniform2f(program->map_offset, offset_x, offset_y);
	glUniform2f(program->clamp_low, 0.5f, 0.5f);
	glUniform2f(program->clamp_high, extent_x - 0.5f, extent_y - 0.5f);
	glUniform1f(program->opaque, opaque ? 1.0f : 0.0f);
	use_blending(!opaque);
}

/* 1:1: the source rectangle under box, uploaded and drawn (or, opaque
 * XRGB onto XRGB, uploaded straight into the target). */
static void draw_unscaled_box(struct gles_renderer *gles, const struct draw_plan *plan,
			      const pixman_box32_t *box)
{
	int64_t x1 = box->x1 - plan->geometry.image.x1, y1 = box->y1 - plan->geometry.image.y1;
	uint32_t width = (uint32_t)(box->x2 - box->x1), height = (uint32_t)(box->y2 - box->y1);
	const uint8_t *pixels;
	size_t stride;
	if (!source_pixels(gles, plan, x1, y1, width, height, &pixels, &stride))
		return;
	if (plan->src->format == DRM_FORMAT_XRGB8888 &&
	    gles->target->format == DRM_FORMAT_XRGB8888) {
		upload(gles, gles->entry->texture, GL_RGBA, 4, box->x1, box->y1, pixels, stride,
		       width, height);
		return;
	}
	if (!ensure_scratch(gles, &gles->source, width, height, false))
		return;
	upload(gles, gles->source.texture, GL_RGBA, 4, 0, 0, pixels, stride, width, height);
	set_texture_filter(gles->source.texture, GL_NEAREST);
	use_texture_program(gles, gles->source.texture, &gles->source, 1.0f, 1.0f, (float)-box->x1,
			    (float)-box->y1, (float)width, (float)height, plan->opaque);
	draw_on_target(gles, &gles->programs[TSR_GLES_TEXTURE], box);
}

static void warn_large(struct gles_renderer *gles, const char *what)
{
	if (gles->warned_large)
		return;
	gles->warned_large = true;
	tsr_log(TSR_LOG_WARN, "gles renderer: %s; such draws are skipped", what);
}

/* Scaled: the source rectangle box samples (render_pixman.c's
 * draw_scaled_box picks the same one, on the reduction grid), uploaded,
 * block-averaged into the reduced texture when reducing, and drawn with a
 * bilinear filter. */
static void draw_scaled_box(struct gles_renderer *gles, const struct draw_plan *plan,
			    const pixman_box32_t *box)
{
	const struct tsr_buffer *src = plan->src;
	int64_t kx = plan->geometry.reduce_x, ky = plan->geometry.reduce_y;
	int64_t x1, y1, x2, y2;
	if (!tsr_scale_source_rect(&plan->geometry, src, box, &x1, &y1, &x2, &y2))
		return;
	uint32_t width = (uint32_t)(x2 - x1), height = (uint32_t)(y2 - y1);
	if (kx > TSR_GLES_REDUCE_MAX || ky > TSR_GLES_REDUCE_MAX) {
		warn_large(gles, "a display is scaled down by more than 64:1");
		return;
	}
	if (!ensure_scratch(gles, &gles->source, width, height, false)) {
		warn_large(gles, "a scaled display's source is beyond the texture limit");
		return;
	}
	const uint8_t *pixels;
	size_t stride;
	if (!source_pixels(gles, plan, x1, y1, width, height, &pixels, &stride))
		return;
	upload(gles, gles->source.texture, GL_RGBA, 4, 0, 0, pixels, stride, width, height);

	/* Output pixel centre p maps to (p - image) * scale / k - origin / k
	 * in texels of what is sampled (the reduced grid starts at x1). */
	float sx = (float)(plan->geometry.scale_x / (double)kx),
	      sy = (float)(plan->geometry.scale_y / (double)ky);
	/* x1, y1 lie on the reduction grid: whole reduced texels. */
	int64_t origin_x = x1 / kx, origin_y = y1 / ky;
	float ox = (float)(-(double)plan->geometry.image.x1 * plan->geometry.scale_x / (double)kx -
			   (double)origin_x);
	float oy = (float)(-(double)plan->geometry.image.y1 * plan->geometry.scale_y / (double)ky -
			   (double)origin_y);
	const struct scratch_texture *sampled = &gles->source;
	uint32_t extent_x = width, extent_y = height;
	if (kx > 1 || ky > 1) {
		extent_x = (width + (uint32_t)kx - 1) / (uint32_t)kx;
		extent_y = (height + (uint32_t)ky - 1) / (uint32_t)ky;
		if (!ensure_scratch(gles, &gles->reduced, extent_x, extent_y, true))
			return;
		const struct tsr_gles_program *reduce = &gles->programs[TSR_GLES_REDUCE];
		glBindFramebuffer(GL_FRAMEBUFFER, gles->reduced.framebuffer);
		glViewport(0, 0, (GLsizei)gles->reduced.width, (GLsizei)gles->reduced.height);
		set_texture_filter(gles->source.texture, GL_NEAREST);
		glUseProgram(reduce->program);
		glActiveTexture(GL_TEXTURE0);
		glBindTexture(GL_TEXTURE_2D, gles->source.texture);
		glUniform1i(reduce->texture, 0);
		glUniform2f(reduce->texture_size, (float)gles->source.width,
			    (float)gles->source.height);
		glUniform2f(reduce->map_scale, 1.0f, 1.0f);
		glUniform2f(reduce->map_offset, 0.0f, 0.0f);
		glUniform2f(reduce->block, (float)kx, (float)ky);
		glUniform2f(reduce->extent, (float)width, (float)height);
		use_blending(false);
		pixman_box32_t all = {0, 0, (int32_t)extent_x, (int32_t)extent_y};
		draw_box(reduce, (float)gles->reduced.width, (float)gles->reduced.height, &all);
		bind_target(gles);
		sampled = &gles->reduced;
	}
	set_texture_filter(sampled->texture, GL_LINEAR);
	use_texture_program(gles, sampled->texture, sampled, sx, sy, ox, oy, (float)extent_x,
			    (float)extent_y, plan->opaque);
	draw_on_target(gles, &gles->programs[TSR_GLES_TEXTURE], box);
}

static void draw_buffer(struct gles_renderer *gles, const struct tsr_buffer *src,
			const pixman_box32_t *image, const pixman_region32_t *region)
{
	if (!gles->in_pass || !src || !src->data || src->width == 0 || src->height == 0 ||
	    src->width > INT32_MAX || src->height > INT32_MAX ||
	    tsr_buffer_format_bpp(src->format) == 0 ||
	    (uint64_t)src->stride < (uint64_t)src->width * tsr_buffer_format_bpp(src->format))
		return;
	struct draw_plan plan = {.src = src};
	if (!tsr_scale_geometry_for(src, image, &plan.geometry))
		return;
	bool scaled = plan.geometry.scaled;
	plan.opaque = tsr_buffer_format_opaque(src->format);

	pixman_region32_t boxes;
	if (!clipped(gles, image->x1, image->y1, image->x2, image->y2, region, &boxes))
		return;
	int count;
	const pixman_box32_t *box = pixman_region32_rectangles(&boxes, &count);
	for (int i = 0; i < count; i++, box++) {
		if (scaled)
			draw_scaled_box(gles, &plan, box);
		else
			draw_unscaled_box(gles, &plan, box);
	}
	pixman_region32_fini(&boxes);
}

static void gles_blit(struct tsr_renderer *renderer, struct tsr_buffer *src, int32_t x, int32_t y,
		      const pixman_region32_t *region)
{
	if (!src)
		return;
	int64_t x2 = (int64_t)x + src->width, y2 = (int64_t)y + src->height;
	if (x2 > INT32_MAX || y2 > INT32_MAX)
		return;
	pixman_box32_t image = {x, y, (int32_t)x2, (int32_t)y2};
	draw_buffer(gles_from(renderer), src, &image, region);
}

static void gles_blit_scaled(struct tsr_renderer *renderer, struct tsr_buffer *src,
			     const pixman_box32_t *image, const pixman_region32_t *region)
{
	if (image)
		draw_buffer(gles_from(renderer), src, image, region);
}

static void gles_mask(struct tsr_renderer *renderer, struct tsr_buffer *mask, int32_t x, int32_t y,
		      uint32_t argb)
{
	struct gles_renderer *gles = gles_from(renderer);
	if (!gles->in_pass || !mask || mask->format != DRM_FORMAT_R8 || !mask->data ||
	    mask->stride < mask->width)
		return;
	pixman_region32_t region;
	if (!clipped(gles, x, y, (int64_t)x + mask->width, (int64_t)y + mask->height, NULL,
		     &region))
		return;
	/* One upload of the mask's part the clip shows. */
	const pixman_box32_t *extents = pixman_region32_extents(&region);
	uint32_t width = (uint32_t)(extents->x2 - extents->x1);
	uint32_t height = (uint32_t)(extents->y2 - extents->y1);
	if (!ensure_scratch(gles, &gles->mask, width, height, false)) {
		pixman_region32_fini(&region);
		return;
	}
	const uint8_t *pixels = (const uint8_t *)mask->data +
				(size_t)(extents->y1 - y) * mask->stride +
				(size_t)(extents->x1 - x);
	upload(gles, gles->mask.texture, GL_ALPHA, 1, 0, 0, pixels, mask->stride, width, height);
	GLfloat color[4];
	color_of(argb, color);
	const struct tsr_gles_program *program = &gles->programs[TSR_GLES_MASK];
	glUseProgram(program->program);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, gles->mask.texture);
	glUniform1i(program->texture, 0);
	glUniform2f(program->texture_size, (float)gles->mask.width, (float)gles->mask.height);
	glUniform2f(program->map_scale, 1.0f, 1.0f);
	glUniform2f(program->map_offset, (float)-extents->x1, (float)-extents->y1);
	glUniform4fv(program->color, 1, color);
	use_blending(true);
	int count;
	const pixman_box32_t *box = pixman_region32_rectangles(&region, &count);
	for (int i = 0; i < count; i++, box++)
		draw_on_target(gles, program, box);
	pixman_region32_fini(&region);
}

/* Copies the clip rectangles from the framebuffer into the target. */
static bool read_back(struct gles_renderer *gles)
{
	struct tsr_buffer *target = gles->target;
	int count;
	const pixman_box32_t *box = pixman_region32_rectangles(&gles->clip, &count);
	for (int i = 0; i < count; i++, box++) {
		GLsizei width = box->x2 - box->x1, height = box->y2 - box->y1;
		uint8_t *first = (uint8_t *)target->data + (size_t)box->y1 * target->stride +
				 (size_t)box->x1 * 4;
		gles->base.readback_bytes += (uint64_t)width * (uint64_t)height * 4u;
		if (gles->egl.pack_row_length) {
			glPixelStorei(GL_PACK_ROW_LENGTH, (GLint)(target->stride / 4));
			glReadPixels(box->x1, box->y1, width, height, GL_RGBA, GL_UNSIGNED_BYTE,
				     first);
			glPixelStorei(GL_PACK_ROW_LENGTH, 0);
			continue;
		}
		size_t row_bytes = (size_t)width * 4;
		if (!tsr_scratch_grow(&gles->rows, &gles->rows_size, row_bytes * (size_t)height))
			return false;
		glReadPixels(box->x1, box->y1, width, height, GL_RGBA, GL_UNSIGNED_BYTE,
			     gles->rows);
		for (GLsizei row = 0; row < height; row++)
			memcpy(first + (size_t)row * target->stride,
			       gles->rows + (size_t)row * row_bytes, row_bytes);
	}
	return true;
}

static void finish_pass(struct gles_renderer *gles)
{
	if (!gles->in_pass)
		return;
	glDisable(GL_SCISSOR_TEST);
	pixman_region32_fini(&gles->clip);
	gles->in_pass = false;
	gles->target = NULL;
	gles->entry = NULL;
}

static bool gles_end(struct tsr_renderer *renderer)
{
	struct gles_renderer *gles = gles_from(renderer);
	if (!gles->in_pass)
		return false;
	bool ok = true;
	if (gles->entry->image != EGL_NO_IMAGE_KHR) {
		/* The commit after this pass must scan out finished pixels. */
		glFinish();
		gles->base.direct_passes++;
	} else {
		ok = read_back(gles);
	}
	GLenum error = glGetError();
	if (error != GL_NO_ERROR) {
		tsr_log(TSR_LOG_ERROR, "gles renderer: GL error 0x%x in a pass", error);
		ok = false;
	}
	finish_pass(gles);
	return ok;
}

static void gles_destroy(struct tsr_renderer *renderer)
{
	struct gles_renderer *gles = gles_from(renderer);
	if (!gles)
		return;
	/* Imported targets outlive the renderer: their hooks go first,
	 * whatever happens to the GL objects below. */
	for (size_t i = 0; i < TARGET_CACHE_SIZE; i++) {
		struct tsr_buffer *buffer = gles->targets[i].buffer;
		if (gles->targets[i].image != EGL_NO_IMAGE_KHR && buffer) {
			buffer->renderer_forget = NULL;
			buffer->renderer_forget_data = NULL;
		}
	}
	if (gles->egl.display != EGL_NO_DISPLAY && tsr_egl_context_make_current(&gles->egl)) {
		finish_pass(gles);
		for (size_t i = 0; i < TARGET_CACHE_SIZE; i++)
			evict(gles, &gles->targets[i]);
		scratch_fini(&gles->source);
		scratch_fini(&gles->reduced);
		scratch_fini(&gles->mask);
		tsr_gles_programs_destroy(gles->programs);
	}
	tsr_egl_context_fini(&gles->egl);
	/* After the display: EGL's GBM platform uses the device to its end. */
	tsr_render_device_unref(gles->device);
	tsr_renderer_destroy(gles->converter);
	tsr_buffer_destroy(gles->staging);
	free(gles->rows);
	free(gles);
}

static const struct tsr_renderer_impl gles_renderer_impl = {
    .begin = gles_begin,
    .fill = gles_fill,
    .blit = gles_blit,
    .blit_scaled = gles_blit_scaled,
    .mask = gles_mask,
    .end = gles_end,
    .destroy = gles_destroy,
};

/* The EGLImage entry points, when the display can import dma-bufs. */
static void load_image_functions(struct gles_renderer *gles)
{
	if (!gles->egl.dmabuf_import)
		return;
	gles->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	gles->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	gles->image_target_texture =
	    (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress("glEGLImageTargetTexture2DOES");
	if (!gles->create_image || !gles->destroy_image || !gles->image_target_texture)
		gles->egl.dmabuf_import = false;
}

struct tsr_renderer *tsr_renderer_gles_create(bool allow_software, char *err, size_t err_len)
{
	return tsr_renderer_gles_create_on(NULL, allow_software, err, err_len);
}

struct tsr_renderer *tsr_renderer_gles_create_on(struct tsr_render_device *device,
						 bool allow_software, char *err, size_t err_len)
{
	struct gles_renderer *gles = calloc(1, sizeof(*gles));
	if (!gles) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	gles->base.impl = &gles_renderer_impl;
	gles->base.name = "gles";
	gles->source.format = GL_RGBA;
	gles->reduced.format = GL_RGBA;
	gles->mask.format = GL_ALPHA;
	for (size_t i = 0; i < TARGET_CACHE_SIZE; i++)
		gles->targets[i].image = EGL_NO_IMAGE_KHR;
	if (device && !device->impl->open_gbm(device)) {
		snprintf(err, err_len, "%s has no GBM device", device->path);
		free(gles);
		return NULL;
	}
	if (!tsr_egl_context_init(&gles->egl, device ? device->gbm : NULL, err, err_len)) {
		free(gles);
		return NULL;
	}
	gles->device = tsr_render_device_ref(device);
	load_image_functions(gles);
	if (gles->egl.software && !allow_software) {
		snprintf(err, err_len, "%s%s%s is a software rasteriser", gles->egl.renderer,
			 device ? ", driver " : "", device ? gles->egl.driver : "");
		goto error;
	}
	if (!tsr_gles_programs_create(gles->programs, err, err_len))
		goto error;
	GLint max_texture = 0;
	glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_texture);
	gles->max_texture = max_texture > 0 ? (uint32_t)max_texture : 0;
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	gles->converter = tsr_renderer_pixman_create();
	if (!gles->converter) {
		snprintf(err, err_len, "out of memory");
		goto error;
	}
	/* A guest's dma-buf never reaches EGL: llvmpipe maps an imported
	 * buffer with MAP_DUMB, which the kernel refuses for foreign objects,
	 * and crashes on it (a dom0 denial of service); on a hardware driver
	 * the import is not done (no such driver in CI to prove it safe). */
	const char *guests = gles->egl.software
				 ? "guest dma-bufs refused (a software rasteriser crashes on "
				   "a foreign dma-buf): guests uploaded from Tessera's mapping"
				 : "guest dma-bufs not imported: guests uploaded from Tessera's "
				   "mapping";
	if (device)
		tsr_log(TSR_LOG_INFO,
			"gles renderer: %s (%s) on the GBM platform of %s, driver %s%s; %s; %s",
			gles->egl.renderer, gles->egl.version, device->path, gles->egl.driver,
			gles->egl.software ? ", a software rasteriser" : "",
			gles->egl.dmabuf_import ? "draws into GBM scan-out buffers"
						: "no dma-buf import: upload and read-back",
			guests);
	else
		tsr_log(TSR_LOG_INFO, "gles renderer: %s (%s)%s; %s", gles->egl.renderer,
			gles->egl.version, gles->egl.software ? ", a software rasteriser" : "",
			guests);
	return &gles->base;
error:
	gles_destroy(&gles->base);
	return NULL;
}
