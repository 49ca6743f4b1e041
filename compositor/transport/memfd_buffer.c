/* F_SEAL_SHRINK is mandatory: without it a guest could truncate the file
 * after we checked its size, and the next read of the mapping would raise
 * SIGBUS in the compositor. The order matters: seals first, size second. A
 * seal can never be removed, so a size read after F_SEAL_SHRINK was seen is
 * a floor for the life of the mapping; read the other way round, a guest
 * could shrink and then seal between the two calls. Only tmpfs (shmem)
 * memfds are taken: hugetlbfs pages can vanish under a mapping. */
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/memfd_buffer.h"
#include "tessera/event_loop.h"
#include "transport/dmabuf_budget.h"
#include "transport/udmabuf.h"

struct memfd_buffer {
	struct tsr_buffer base;
	void *map;
	size_t map_length; /* = request->required_bytes: offset + pixels */
	uint64_t offset;   /* of the first pixel in the memfd */
	/* With a dma-buf: its connection's budget and what it took of it. */
	struct tsr_dmabuf_budget *budget;
	uint64_t dmabuf_bytes;
};

static void memfd_buffer_destroy(struct tsr_buffer *base)
{
	struct memfd_buffer *buffer = (struct memfd_buffer *)base;
	if (buffer->map)
		munmap(buffer->map, buffer->map_length);
	if (buffer->base.dmabuf_fd >= 0) {
		close(buffer->base.dmabuf_fd);
		tsr_dmabuf_budget_give_back(buffer->budget, buffer->dmabuf_bytes);
	}
	free(buffer);
}

static const struct tsr_buffer_impl memfd_buffer_impl = {
    .destroy = memfd_buffer_destroy,
    .dmabuf_kind = "udmabuf",
};

struct tsr_buffer *tsr_memfd_buffer_import(int fd, uint32_t untrusted_offset,
					   uint32_t untrusted_size,
					   const struct tsr_buffer_request *request, char *err,
					   size_t err_len)
{
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0) {
		snprintf(err, err_len, "the fd is not a sealable memfd");
		return NULL;
	}
	if (!(seals & F_SEAL_SHRINK)) {
		snprintf(err, err_len, "the memfd is not sealed with F_SEAL_SHRINK");
		return NULL;
	}
	struct statfs filesystem;
	if (fstatfs(fd, &filesystem) < 0 || filesystem.f_type != TMPFS_MAGIC) {
		snprintf(err, err_len, "the memfd is not on tmpfs (hugetlb memfds are refused)");
		return NULL;
	}
	struct stat info;
	if (fstat(fd, &info) < 0 || !S_ISREG(info.st_mode)) {
		snprintf(err, err_len, "the fd is not a memfd");
		return NULL;
	}
	/* Validated once, here: the sizes the guest declared against the file. */
	uint64_t offset = untrusted_offset;
	uint64_t size = untrusted_size;
	uint64_t file_size = (uint64_t)info.st_size;
	if (offset != request->offset) {
		snprintf(err, err_len, "offset mismatch");
		return NULL;
	}
	if (offset + size > file_size) {
		snprintf(err, err_len, "declared %llu bytes at offset %llu, memfd holds %llu",
			 (unsigned long long)size, (unsigned long long)offset,
			 (unsigned long long)file_size);
		return NULL;
	}
	if (offset + size < request->required_bytes) {
		snprintf(err, err_len, "%llu bytes at offset %llu cannot hold %ux%u stride %u",
			 (unsigned long long)size, (unsigned long long)offset, request->width,
			 request->height, request->stride);
		return NULL;
	}
	struct memfd_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	buffer->map_length = (size_t)request->required_bytes;
	buffer->map = mmap(NULL, buffer->map_length, PROT_READ, MAP_SHARED, fd, 0);
	if (buffer->map == MAP_FAILED) {
		buffer->map = NULL;
		snprintf(err, err_len, "cannot map the memfd read-only");
		free(buffer);
		return NULL;
	}
	buffer->base.impl = &memfd_buffer_impl;
	buffer->base.width = request->width;
	buffer->base.height = request->height;
	buffer->base.stride = request->stride;
	buffer->base.format = request->format;
	buffer->base.data = (uint8_t *)buffer->map + offset;
	buffer->base.read_only = true;
	buffer->base.dmabuf_fd = -1;
	buffer->offset = offset;
	return &buffer->base;
}

bool tsr_memfd_buffer_export_dmabuf(struct tsr_buffer *base, int fd,
				    const struct tsr_udmabuf *udmabuf,
				    struct tsr_dmabuf_budget *budget, char *why, size_t why_len)
{
	if (base->impl != &memfd_buffer_impl || base->dmabuf_fd >= 0) {
		snprintf(why, why_len, "not a memfd buffer without a dma-buf");
		return false;
	}
	struct memfd_buffer *buffer = (struct memfd_buffer *)base;
	uint64_t page = tsr_udmabuf_page_size(udmabuf);
	/* udmabuf counts in pages. A first pixel inside a page would need the
	 * dma-buf to start before it, which the field's contract (the first
	 * byte is the first pixel) does not allow; agents use offset 0. */
	if (buffer->offset % page) {
		snprintf(why, why_len, "the first pixel (offset %llu) is not on a page boundary",
			 (unsigned long long)buffer->offset);
		return false;
	}
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
		snprintf(why, why_len,
			 "the memfd is sealed against writing (udmabuf exports only writable "
			 "memfds)");
		return false;
	}
	/* Rounded up to a page: the last row may end inside one. The file
	 * holds that page (offset + size <= its size, checked at import, and
	 * F_SEAL_SHRINK keeps it so). */
	uint64_t end = ((uint64_t)buffer->map_length + page - 1) / page * page;
	uint64_t bytes = end - buffer->offset;
	if (budget && !tsr_dmabuf_budget_take(budget, bytes, tsr_now_ns(), why, why_len))
		return false;
	int dmabuf = tsr_udmabuf_export(udmabuf, fd, buffer->offset, bytes, why, why_len);
	if (dmabuf < 0) {
		if (budget)
			tsr_dmabuf_budget_give_back(budget, bytes);
		return false;
	}
	buffer->base.dmabuf_fd = dmabuf;
	buffer->budget = budget;
	buffer->dmabuf_bytes = bytes;
	return true;
}
