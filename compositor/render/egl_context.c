/* EGL on EGL_MESA_platform_surfaceless (Mesa picks a render node's driver
 * when there is one and llvmpipe otherwise) or on EGL_KHR_platform_gbm over
 * a KMS card's GBM device (the card's driver, kms_swrast on vkms). The
 * context renders into framebuffer objects only, so it needs neither a
 * config nor a surface (EGL_KHR_no_config_context,
 * EGL_KHR_surfaceless_context). */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "render/egl_context.h"

static bool has_extension(const char *list, const char *name)
{
	size_t length = strlen(name);
	for (const char *at = list; at && (at = strstr(at, name)) != NULL; at += length)
		if ((at == list || at[-1] == ' ') && (at[length] == ' ' || at[length] == '\0'))
			return true;
	return false;
}

static int pin_driver(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name;
	size_t length = name ? strlen(name) : 0;
	if (length > 7 && strcmp(name + length - 7, "_dri.so") == 0)
		dlopen(name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	return 0;
}

/* Keeps the DRI driver Mesa loaded (swrast_dri.so, iris_dri.so, ...)
 * mapped after eglTerminate. The driver keeps caches in its own globals;
 * unloading it would leave them unreachable, and LeakSanitizer would
 * report them from an "<unknown module>" no suppression can name. A
 * compositor has one renderer for its life, so unloading gains nothing. */
static void pin_drivers(void)
{
	dl_iterate_phdr(pin_driver, NULL);
}

/* EGL_PLATFORM_GBM_KHR (= EGL_PLATFORM_GBM_MESA) on gbm, or the surfaceless
 * platform when gbm is NULL. */
static bool open_display(struct tsr_egl_context *egl, struct gbm_device *gbm, char *err,
			 size_t err_len)
{
	const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (!has_extension(client, "EGL_EXT_platform_base")) {
		snprintf(err, err_len, "EGL has no platform displays (EGL_EXT_platform_base)");
		return false;
	}
	if (!gbm && !has_extension(client, "EGL_MESA_platform_surfaceless")) {
		snprintf(err, err_len,
			 "EGL has no surfaceless platform (EGL_MESA_platform_surfaceless)");
		return false;
	}
	if (gbm && !has_extension(client, "EGL_KHR_platform_gbm") &&
	    !has_extension(client, "EGL_MESA_platform_gbm")) {
		snprintf(err, err_len, "EGL has no GBM platform (EGL_KHR_platform_gbm)");
		return false;
	}
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display =
	    (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (!get_platform_display) {
		snprintf(err, err_len, "EGL lacks eglGetPlatformDisplayEXT");
		return false;
	}
	egl->display =
	    gbm ? get_platform_display(EGL_PLATFORM_GBM_KHR, gbm, NULL)
		: get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
	if (egl->display == EGL_NO_DISPLAY) {
		snprintf(err, err_len, "no %s EGL display (error 0x%x)",
			 gbm ? "GBM" : "surfaceless", eglGetError());
		return false;
	}
	EGLint major, minor;
	if (!eglInitialize(egl->display, &major, &minor)) {
		snprintf(err, err_len, "eglInitialize failed (error 0x%x)", eglGetError());
		egl->display = EGL_NO_DISPLAY;
		return false;
	}
	egl->gbm = gbm != NULL;
	pin_drivers();
	return true;
}

/* The DRI driver's name (EGL_MESA_query_driver): kms_swrast, iris, ... */
static void query_driver(struct tsr_egl_context *egl)
{
	snprintf(egl->driver, sizeof(egl->driver), "?");
	const char *extensions = eglQueryString(egl->display, EGL_EXTENSIONS);
	if (!has_extension(extensions, "EGL_MESA_query_driver"))
		return;
	typedef const char *(*get_driver_name_fn)(EGLDisplay display);
	get_driver_name_fn get_driver_name =
	    (get_driver_name_fn)eglGetProcAddress("eglGetDisplayDriverName");
	const char *name = get_driver_name ? get_driver_name(egl->display) : NULL;
	if (name)
		snprintf(egl->driver, sizeof(egl->driver), "%s", name);
}

static bool create_context(struct tsr_egl_context *egl, char *err, size_t err_len)
{
	const char *extensions = eglQueryString(egl->display, EGL_EXTENSIONS);
	if (!has_extension(extensions, "EGL_KHR_surfaceless_context")) {
		snprintf(err, err_len, "EGL lacks EGL_KHR_surfaceless_context");
		return false;
	}
	if (!eglBindAPI(EGL_OPENGL_ES_API)) {
		snprintf(err, err_len, "EGL cannot bind the GLES API");
		return false;
	}
	EGLConfig config = EGL_NO_CONFIG_KHR;
	if (!has_extension(extensions, "EGL_KHR_no_config_context")) {
		const EGLint wanted[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_NONE};
		EGLint count = 0;
		if (!eglChooseConfig(egl->display, wanted, &config, 1, &count) || count < 1) {
			snprintf(err, err_len, "EGL has no GLES 2 config");
			return false;
		}
	}
	const EGLint attributes[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	egl->context = eglCreateContext(egl->display, config, EGL_NO_CONTEXT, attributes);
	if (egl->context == EGL_NO_CONTEXT) {
		snprintf(err, err_len, "cannot create a GLES 2 context (error 0x%x)",
			 eglGetError());
		return false;
	}
	if (!tsr_egl_context_make_current(egl)) {
		snprintf(err, err_len, "cannot make the GLES context current (error 0x%x)",
			 eglGetError());
		return false;
	}
	return true;
}

static void describe(struct tsr_egl_context *egl)
{
	const char *renderer = (const char *)glGetString(GL_RENDERER);
	const char *version = (const char *)glGetString(GL_VERSION);
	const char *extensions = (const char *)glGetString(GL_EXTENSIONS);
	snprintf(egl->renderer, sizeof(egl->renderer), "%s", renderer ? renderer : "?");
	snprintf(egl->version, sizeof(egl->version), "%s", version ? version : "?");
	egl->software = strstr(egl->renderer, "llvmpipe") || strstr(egl->renderer, "softpipe") ||
			strstr(egl->renderer, "swrast") || strstr(egl->driver, "swrast");
	egl->dmabuf_import = has_extension(eglQueryString(egl->display, EGL_EXTENSIONS),
					   "EGL_EXT_image_dma_buf_import") &&
			     has_extension(extensions, "GL_OES_EGL_image");
	/* "OpenGL ES 3.2 Mesa ...": GLES 3 has both row lengths. */
	bool gles3 = strncmp(egl->version, "OpenGL ES ", 10) == 0 && egl->version[10] >= '3';
	egl->unpack_row_length = gles3 || has_extension(extensions, "GL_EXT_unpack_subimage");
	egl->pack_row_length = gles3 || has_extension(extensions, "GL_NV_pack_subimage");
}

bool tsr_egl_context_init(struct tsr_egl_context *egl, struct gbm_device *gbm, char *err,
			  size_t err_len)
{
	*egl = (struct tsr_egl_context){.display = EGL_NO_DISPLAY, .context = EGL_NO_CONTEXT};
	if (!open_display(egl, gbm, err, err_len))
		return false;
	query_driver(egl);
	if (!create_context(egl, err, err_len)) {
		tsr_egl_context_fini(egl);
		return false;
	}
	describe(egl);
	return true;
}

bool tsr_egl_context_make_current(struct tsr_egl_context *egl)
{
	if (eglGetCurrentContext() == egl->context)
		return true;
	return eglMakeCurrent(egl->display, EGL_NO_SURFACE, EGL_NO_SURFACE, egl->context);
}

void tsr_egl_context_fini(struct tsr_egl_context *egl)
{
	if (!egl || egl->display == EGL_NO_DISPLAY)
		return;
	eglMakeCurrent(egl->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (egl->context != EGL_NO_CONTEXT)
		eglDestroyContext(egl->display, egl->context);
	eglTerminate(egl->display);
	eglReleaseThread();
	egl->display = EGL_NO_DISPLAY;
	egl->context = EGL_NO_CONTEXT;
}
