/* The [gpu_passthrough] section: which PCI GPU may be handed to which
 * domain, with which drivers and timeouts. Values are checked as strictly as
 * the rest: they end up as arguments of the privileged helper. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

#define GPU_TIMEOUT_MIN 1u
#define GPU_TIMEOUT_MAX 300u

bool tsr_config_parse_pci_address(const char *text, char out[TSR_PCI_BDF_MAX], char *err,
				  size_t err_len)
{
	/* DDDD:BB:DD.F: 4, 2 and 2 hex digits, one function digit 0..7. */
	static const char pattern[] = "hhhh:hh:hh.f";
	size_t len = strlen(text);
	bool ok = len == sizeof(pattern) - 1;
	for (size_t i = 0; ok && i < len; i++) {
		char p = pattern[i];
		if (p == 'h')
			ok = isxdigit((unsigned char)text[i]);
		else if (p == 'f')
			ok = text[i] >= '0' && text[i] <= '7';
		else
			ok = text[i] == p;
	}
	unsigned int slot = 0;
	if (ok && sscanf(text + 8, "%2x", &slot) == 1 && slot > 0x1f)
		ok = false;
	if (!ok) {
		snprintf(err, err_len,
			 "'%s' is not a PCI address (allowed: DOMAIN:BUS:SLOT.FUNCTION as in "
			 "lspci -D, e.g. 0000:01:00.0; slot 00..1f, function 0..7)",
			 text);
		return false;
	}
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)text[i]);
	return true;
}

/* Kernel driver names as they appear under /sys/bus/pci/drivers. */
static bool copy_driver_name(const char *text, char out[TSR_NAME_MAX], char *err, size_t err_len)
{
	size_t len = strlen(text);
	bool ok = len > 0 && len < TSR_NAME_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = islower((unsigned char)text[i]) || isdigit((unsigned char)text[i]) ||
		     text[i] == '-' || text[i] == '_';
	if (!ok) {
		snprintf(
		    err, err_len,
		    "'%s' is not a driver name (allowed: 1..%u characters of a-z, 0-9, - and _, "
		    "as in /sys/bus/pci/drivers)",
		    text, TSR_NAME_MAX - 1);
		return false;
	}
	memcpy(out, text, len + 1);
	return true;
}

bool tsr_config_apply_gpu(struct tsr_gpu_config *gpu, const char *key, const char *value, char *err,
			  size_t err_len)
{
	if (strcmp(key, "device") == 0)
		return tsr_config_parse_pci_address(value, gpu->device, err, err_len);
	if (strcmp(key, "domain") == 0) {
		if (!tsr_config_check_domain_name(value, err, err_len))
			return false;
		snprintf(gpu->domain, sizeof(gpu->domain), "%s", value);
		return true;
	}
	if (strcmp(key, "drm_driver") == 0)
		return copy_driver_name(value, gpu->drm_driver, err, err_len);
	if (strcmp(key, "passthrough_driver") == 0) {
		if (strcmp(value, "pci-stub") == 0) {
			gpu->passthrough_driver = TSR_GPU_DRIVER_PCI_STUB;
		} else if (strcmp(value, "vfio-pci") == 0) {
			gpu->passthrough_driver = TSR_GPU_DRIVER_VFIO_PCI;
		} else if (strcmp(value, "xen-pciback") == 0) {
			gpu->passthrough_driver = TSR_GPU_DRIVER_XEN_PCIBACK;
		} else {
			snprintf(err, err_len,
				 "'%s' is not a passthrough driver (allowed: pci-stub, vfio-pci, "
				 "xen-pciback)",
				 value);
			return false;
		}
		return true;
	}
	if (strcmp(key, "toolstack") == 0) {
		if (strcmp(value, "xl") == 0) {
			gpu->toolstack = TSR_GPU_TOOLSTACK_XL;
		} else if (strcmp(value, "none") == 0) {
			gpu->toolstack = TSR_GPU_TOOLSTACK_NONE;
		} else {
			snprintf(err, err_len, "'%s' is not a toolstack (allowed: xl, none)",
				 value);
			return false;
		}
		return true;
	}
	if (strcmp(key, "step_timeout") == 0)
		return tsr_config_parse_uint(value, GPU_TIMEOUT_MIN, GPU_TIMEOUT_MAX,
					     &gpu->step_timeout_s, err, err_len);
	if (strcmp(key, "card_timeout") == 0)
		return tsr_config_parse_uint(value, GPU_TIMEOUT_MIN, GPU_TIMEOUT_MAX,
					     &gpu->card_timeout_s, err, err_len);
	if (strcmp(key, "fallback_device") == 0) {
		if (!value[0]) {
			gpu->fallback_device[0] = '\0';
			return true;
		}
		if (value[0] != '/') {
			snprintf(err, err_len,
				 "'%s' is not an absolute card path (allowed: e.g. /dev/dri/card0, "
				 "or empty for none)",
				 value);
			return false;
		}
		return tsr_config_copy_path(value, gpu->fallback_device, err, err_len);
	}
	snprintf(err, err_len, "no such key"); /* unreachable while section_keys agrees */
	return false;
}

const char *tsr_config_check_gpu_section(const struct tsr_gpu_config *gpu, char *err,
					 size_t err_len)
{
	static const char *const required[] = {"device", "domain", "drm_driver"};
	const char *values[] = {gpu->device, gpu->domain, gpu->drm_driver};
	for (size_t i = 0; i < 3; i++) {
		if (!values[i][0]) {
			snprintf(err, err_len, "[gpu_passthrough] has no %s (required)",
				 required[i]);
			return "";
		}
	}
	if (gpu->toolstack == TSR_GPU_TOOLSTACK_XL &&
	    gpu->passthrough_driver != TSR_GPU_DRIVER_XEN_PCIBACK) {
		snprintf(err, err_len,
			 "toolstack xl assigns devices through xen-pciback (allowed: "
			 "passthrough_driver = xen-pciback with toolstack = xl)");
		return "toolstack";
	}
	return NULL;
}
