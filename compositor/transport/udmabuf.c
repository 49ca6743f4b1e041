/* The device is opened once per transport and proved at once with a memfd
 * of our own, so "available" in the log means an export really worked:
 * /dev/udmabuf may exist and refuse (another driver behind the name, a
 * module built without what it needs), and a guest must never be the
 * first to find out. */
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tessera/log.h"
#include "transport/udmabuf.h"

struct tsr_udmabuf {
	int device;
	uint64_t page_size;
};

int tsr_udmabuf_export(const struct tsr_udmabuf *udmabuf, int memfd, uint64_t offset,
		       uint64_t length, char *err, size_t err_len)
{
	if (length == 0 || offset % udmabuf->page_size || length % udmabuf->page_size) {
		snprintf(err, err_len, "%llu bytes at offset %llu are not whole pages",
			 (unsigned long long)length, (unsigned long long)offset);
		return -1;
	}
	struct udmabuf_create create = {
	    .memfd = (uint32_t)memfd,
	    .flags = UDMABUF_FLAGS_CLOEXEC,
	    .offset = offset,
	    .size = length,
	};
	int dmabuf = ioctl(udmabuf->device, UDMABUF_CREATE, &create);
	if (dmabuf < 0) {
		snprintf(err, err_len, "UDMABUF_CREATE of %llu bytes at offset %llu: %s",
			 (unsigned long long)length, (unsigned long long)offset, strerror(errno));
		return -1;
	}
	return dmabuf;
}

/* One page of a memfd of our own, sealed as udmabuf wants. */
static bool prove_device(const struct tsr_udmabuf *udmabuf, char *err, size_t err_len)
{
	int memfd = memfd_create("tessera-udmabuf-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0) {
		snprintf(err, err_len, "memfd_create: %s", strerror(errno));
		return false;
	}
	bool proved = false;
	if (ftruncate(memfd, (off_t)udmabuf->page_size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		snprintf(err, err_len, "cannot size and seal a probe memfd: %s", strerror(errno));
		goto cleanup;
	}
	int dmabuf = tsr_udmabuf_export(udmabuf, memfd, 0, udmabuf->page_size, err, err_len);
	if (dmabuf >= 0) {
		close(dmabuf);
		proved = true;
	}
cleanup:
	close(memfd);
	return proved;
}

struct tsr_udmabuf *tsr_udmabuf_create(const char *device_path)
{
	char reason[256];
	struct tsr_udmabuf *udmabuf = calloc(1, sizeof(*udmabuf));
	if (!udmabuf) {
		tsr_log(TSR_LOG_WARN, "dma-buf: udmabuf unavailable: out of memory");
		return NULL;
	}
	long page_size = sysconf(_SC_PAGESIZE);
	udmabuf->page_size = page_size > 0 ? (uint64_t)page_size : 4096;
	udmabuf->device = open(device_path, O_RDWR | O_CLOEXEC);
	if (udmabuf->device < 0) {
		snprintf(reason, sizeof(reason), "%s: %s", device_path, strerror(errno));
		goto unavailable;
	}
	if (!prove_device(udmabuf, reason, sizeof(reason)))
		goto unavailable;
	tsr_log(TSR_LOG_INFO, "dma-buf: udmabuf available (%s): guest memfds are also dma-bufs",
		device_path);
	return udmabuf;
unavailable:
	/* Info, not a warning: the common case (no udmabuf in the kernel). */
	tsr_log(TSR_LOG_INFO, "dma-buf: udmabuf unavailable: %s; guest memfds are only mapped",
		reason);
	tsr_udmabuf_destroy(udmabuf);
	return NULL;
}

void tsr_udmabuf_destroy(struct tsr_udmabuf *udmabuf)
{
	if (!udmabuf)
		return;
	if (udmabuf->device >= 0)
		close(udmabuf->device);
	free(udmabuf);
}

uint64_t tsr_udmabuf_page_size(const struct tsr_udmabuf *udmabuf)
{
	return udmabuf->page_size;
}
