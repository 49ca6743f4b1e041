#include "buffer_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <tessera/protocol.h>

#include "agent_log.h"

int agent_memfd_create_sealed(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		agent_log_errno(NULL, "memfd_create failed");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		agent_log_errno(NULL, "cannot size memfd to %zu bytes", size);
		goto error;
	}
	/* The compositor maps this fd; sealing its size means we cannot pull
	 * pages from under that mapping (it would SIGBUS), and the compositor
	 * refuses buffers without F_SEAL_SHRINK. No F_SEAL_WRITE: we draw. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		agent_log_errno(NULL, "cannot seal memfd");
		goto error;
	}
	return fd;

error:
	close(fd);
	return -1;
}

static void buffer_finish(struct agent_buffer *buffer)
{
	if (buffer->image)
		pixman_image_unref(buffer->image);
	pixman_region32_fini(&buffer->stale);
	if (buffer->sharer) {
		/* The compositor may still map these pages (it unmaps on our
		 * BUFFER_DESTROY): gntalloc keeps them alive until it does, so
		 * ending the share here never pulls memory from under dom0. */
		if (buffer->data)
			buffer->sharer->unshare(buffer->sharer->data, buffer->data,
						buffer->ref_count);
		free(buffer->refs);
	} else if (buffer->data && buffer->data != MAP_FAILED) {
		munmap(buffer->data, buffer->size);
	}
	if (buffer->memfd >= 0)
		close(buffer->memfd);
}

/* Pages for one buffer: stride * height <= TSR_MAX_BUFFER_BYTES, so the
 * count is at most TSR_MAX_GRANT_REFS. */
static bool buffer_share_pages(struct agent_buffer *buffer, const struct agent_page_sharer *sharer)
{
	uint32_t pages = (uint32_t)((buffer->size + TSR_PAGE_SIZE - 1) / TSR_PAGE_SIZE);
	if (pages == 0 || pages > TSR_MAX_GRANT_REFS) {
		agent_log(NULL, "buffer %u: %zu bytes do not fit one grant message", buffer->id,
			  buffer->size);
		return false;
	}
	buffer->refs = calloc(pages, sizeof(*buffer->refs));
	if (!buffer->refs)
		return false;
	buffer->data = sharer->share(sharer->data, pages, buffer->refs);
	if (!buffer->data) {
		agent_log(NULL, "cannot share %u pages for buffer %u", pages, buffer->id);
		return false;
	}
	buffer->sharer = sharer;
	buffer->ref_count = pages;
	return true;
}

static bool buffer_init(struct agent_buffer *buffer, uint32_t id, uint32_t width, uint32_t height,
			uint32_t stride, const struct agent_page_sharer *sharer)
{
	buffer->id = id;
	buffer->memfd = -1;
	buffer->size = (size_t)stride * height;
	pixman_region32_init_rect(&buffer->stale, 0, 0, width, height);
	if (sharer) {
		if (!buffer_share_pages(buffer, sharer))
			return false;
		goto image;
	}
	buffer->memfd = agent_memfd_create_sealed("tessera-agent-buffer", buffer->size);
	if (buffer->memfd < 0)
		return false;
	buffer->data =
	    mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, buffer->memfd, 0);
	if (buffer->data == MAP_FAILED) {
		buffer->data = NULL;
		agent_log_errno(NULL, "cannot map buffer %u", id);
		return false;
	}
image:
	buffer->image = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)width, (int)height,
							  buffer->data, (int)stride);
	return buffer->image != NULL;
}

struct agent_buffer_pool *agent_buffer_pool_create(uint32_t width, uint32_t height, size_t count,
						   uint32_t first_id)
{
	return agent_buffer_pool_create_shared(width, height, count, first_id, NULL);
}

struct agent_buffer_pool *agent_buffer_pool_create_shared(uint32_t width, uint32_t height,
							  size_t count, uint32_t first_id,
							  const struct agent_page_sharer *sharer)
{
	if (count == 0 || count > AGENT_MAX_POOL_BUFFERS || width == 0 || height == 0 ||
	    width > TSR_MAX_DIMENSION || height > TSR_MAX_DIMENSION)
		return NULL;
	struct agent_buffer_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->width = width;
	pool->height = height;
	pool->stride = width * 4;
	for (size_t i = 0; i < count; i++) {
		/* count tracks initialised buffers so destroy cleans up exactly those. */
		pool->count++;
		if (!buffer_init(&pool->buffers[i], first_id + (uint32_t)i, width, height,
				 pool->stride, sharer))
			goto error;
	}
	return pool;

error:
	agent_buffer_pool_destroy(pool);
	return NULL;
}

void agent_buffer_pool_destroy(struct agent_buffer_pool *pool)
{
	if (!pool)
		return;
	for (size_t i = 0; i < pool->count; i++)
		buffer_finish(&pool->buffers[i]);
	free(pool);
}

struct agent_buffer *agent_buffer_pool_acquire(struct agent_buffer_pool *pool)
{
	/* Prefer the free buffer with the least stale area: least to redraw. */
	struct agent_buffer *best = NULL;
	uint64_t best_area = UINT64_MAX;
	for (size_t i = 0; i < pool->count; i++) {
		struct agent_buffer *buffer = &pool->buffers[i];
		if (buffer->busy)
			continue;
		uint64_t area = 0;
		int n_rects;
		const pixman_box32_t *boxes = pixman_region32_rectangles(&buffer->stale, &n_rects);
		for (int r = 0; r < n_rects; r++)
			area += (uint64_t)(boxes[r].x2 - boxes[r].x1) *
				(uint64_t)(boxes[r].y2 - boxes[r].y1);
		if (area < best_area) {
			best = buffer;
			best_area = area;
		}
	}
	return best;
}

bool agent_buffer_pool_release(struct agent_buffer_pool *pool, uint32_t id)
{
	for (size_t i = 0; i < pool->count; i++) {
		if (pool->buffers[i].id == id) {
			pool->buffers[i].busy = false;
			return true;
		}
	}
	return false;
}

void agent_buffer_pool_add_damage(struct agent_buffer_pool *pool, pixman_region32_t *damage)
{
	for (size_t i = 0; i < pool->count; i++)
		pixman_region32_union(&pool->buffers[i].stale, &pool->buffers[i].stale, damage);
}
