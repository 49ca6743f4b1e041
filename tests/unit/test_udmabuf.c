/* Guest memfds as dma-bufs (compositor/transport/udmabuf.c): without a
 * udmabuf device (the build machines' kernels have none) nothing changes,
 * a device that is not udmabuf is refused at start, and where the kernel
 * has udmabuf (the VM kit's, tests/vm/kms-dmabuf.sh runs this there too)
 * the export covers the pixels to the end of their last page and every
 * case udmabuf refuses leaves the buffer mapped and good. */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/guest_link.h"
#include "test.h"
#include "transport/memfd_buffer.h"
#include "transport/udmabuf.h"

#define WIDTH 64u
#define HEIGHT 63u
#define STRIDE (WIDTH * 4u)

static int sealed_memfd(size_t size, unsigned seals)
{
	int fd = memfd_create("test-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	CHECK(fcntl(fd, F_ADD_SEALS, seals) == 0);
	return fd;
}

static struct tsr_buffer *import(int fd, uint32_t offset, uint32_t size)
{
	struct tsr_buffer_request request =
	    tsr_buffer_request_for(WIDTH, HEIGHT, STRIDE, DRM_FORMAT_XRGB8888, offset);
	char err[160];
	struct tsr_buffer *buffer =
	    tsr_memfd_buffer_import(fd, offset, size, &request, err, sizeof(err));
	if (!buffer)
		fprintf(stderr, "import refused: %s\n", err);
	return buffer;
}

static void test_no_device(void)
{
	CHECK(tsr_udmabuf_create("/nonexistent-tessera-test/udmabuf") == NULL);
	/* Something that opens but is no udmabuf: the probe export fails. */
	CHECK(tsr_udmabuf_create("/dev/null") == NULL);
	tsr_udmabuf_destroy(NULL);

	int fd = sealed_memfd(STRIDE * HEIGHT, F_SEAL_SHRINK);
	struct tsr_buffer *buffer = import(fd, 0, STRIDE * HEIGHT);
	CHECK(buffer != NULL);
	if (buffer)
		CHECK_EQ_INT(buffer->dmabuf_fd, -1);
	tsr_buffer_destroy(buffer);
	close(fd);
}

static void test_with_udmabuf(void)
{
	struct tsr_udmabuf *udmabuf = tsr_udmabuf_create(TSR_UDMABUF_DEVICE);
	if (!udmabuf) {
		printf("SKIP the export cases: no working %s here\n", TSR_UDMABUF_DEVICE);
		return;
	}
	uint64_t page = tsr_udmabuf_page_size(udmabuf);
	char why[256];
	/* 63 rows of 256 bytes: the pixels end inside their last page. */
	int fd = sealed_memfd(STRIDE * HEIGHT, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	struct tsr_buffer *buffer = import(fd, 0, STRIDE * HEIGHT);
	CHECK(buffer &&
	      tsr_memfd_buffer_export_dmabuf(buffer, fd, udmabuf, NULL, why, sizeof(why)));
	if (buffer && buffer->dmabuf_fd >= 0) {
		off_t size = lseek(buffer->dmabuf_fd, 0, SEEK_END);
		CHECK_EQ_INT(size, (STRIDE * HEIGHT + page - 1) / page * page);
		CHECK(fcntl(buffer->dmabuf_fd, F_GETFD) & FD_CLOEXEC);
		/* Once is enough: a second export is refused. */
		CHECK(!tsr_memfd_buffer_export_dmabuf(buffer, fd, udmabuf, NULL, why, sizeof(why)));
	}
	tsr_buffer_destroy(buffer);
	close(fd);

	/* Write-sealed: udmabuf refuses it; the buffer stays mapped. */
	fd = sealed_memfd(STRIDE * HEIGHT, F_SEAL_SHRINK | F_SEAL_WRITE);
	buffer = import(fd, 0, STRIDE * HEIGHT);
	CHECK(buffer &&
	      !tsr_memfd_buffer_export_dmabuf(buffer, fd, udmabuf, NULL, why, sizeof(why)));
	CHECK(strstr(why, "sealed against writing") != NULL);
	CHECK(buffer && buffer->dmabuf_fd == -1 && ((const uint8_t *)buffer->data)[0] == 0);
	tsr_buffer_destroy(buffer);
	close(fd);

	/* A first pixel inside a page. */
	fd = sealed_memfd(STRIDE * HEIGHT + 256, F_SEAL_SHRINK);
	buffer = import(fd, 256, STRIDE * HEIGHT);
	CHECK(buffer &&
	      !tsr_memfd_buffer_export_dmabuf(buffer, fd, udmabuf, NULL, why, sizeof(why)));
	CHECK(strstr(why, "page boundary") != NULL);
	CHECK(buffer && buffer->dmabuf_fd == -1);
	tsr_buffer_destroy(buffer);
	close(fd);

	/* Past udmabuf's size limit (64 MiB by default): its refusal. */
	uint32_t big_height = 4160, big_stride = 4096 * 4; /* 65 MiB */
	fd = sealed_memfd((size_t)big_stride * big_height, F_SEAL_SHRINK);
	struct tsr_buffer_request request =
	    tsr_buffer_request_for(4096, big_height, big_stride, DRM_FORMAT_XRGB8888, 0);
	buffer =
	    tsr_memfd_buffer_import(fd, 0, big_stride * big_height, &request, why, sizeof(why));
	CHECK(buffer &&
	      !tsr_memfd_buffer_export_dmabuf(buffer, fd, udmabuf, NULL, why, sizeof(why)));
	CHECK(strstr(why, "UDMABUF_CREATE") != NULL);
	tsr_buffer_destroy(buffer);
	close(fd);

	/* Only memfd buffers. */
	struct tsr_buffer *memory = tsr_buffer_create_memory(4, 4, DRM_FORMAT_XRGB8888);
	CHECK(memory && memory->dmabuf_fd == -1);
	CHECK(!tsr_memfd_buffer_export_dmabuf(memory, fd, udmabuf, NULL, why, sizeof(why)));
	tsr_buffer_destroy(memory);
	tsr_udmabuf_destroy(udmabuf);
}

TSR_TEST_MAIN({"no udmabuf device: buffers are only mapped", test_no_device},
	      {"udmabuf exports and refusals (where the kernel has it)", test_with_udmabuf})
