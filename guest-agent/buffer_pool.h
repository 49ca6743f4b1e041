/* A small set of memfd-backed pixel buffers for one surface. The agent draws
 * only into a buffer the compositor does not hold: a buffer is busy from the
 * COMMIT that shows it until the compositor's BUFFER_RELEASE for it.
 *
 * Each buffer also remembers which parts of it are stale (changed in the
 * scene since this buffer was last drawn), so that with alternating buffers
 * a frame brings the chosen buffer fully up to date while redrawing only what
 * changed. */
#ifndef TESSERA_AGENT_BUFFER_POOL_H
#define TESSERA_AGENT_BUFFER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#define AGENT_MAX_POOL_BUFFERS 3u

/* Where buffer memory comes from when it is not a memfd: pages shared with
 * the compositor's domain (the Xen transport: gntalloc). share() returns a
 * read-write mapping of that many fresh pages and fills refs[pages]; unshare()
 * ends the sharing. Kept abstract so the pool needs no Xen headers. */
struct agent_page_sharer {
	void *(*share)(void *data, uint32_t pages, uint32_t *refs);
	void (*unshare)(void *data, void *address, uint32_t pages);
	void *data;
};

struct agent_buffer {
	uint32_t id;
	int memfd;	/* sealed: F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL; -1 if shared pages */
	void *data;	/* our read-write mapping of the memfd or the shared pages */
	size_t size;	/* stride * height */
	uint32_t *refs; /* grant refs of the shared pages (NULL for a memfd) */
	uint32_t ref_count;
	const struct agent_page_sharer *sharer;
	bool busy; /* held by the compositor */
	pixman_image_t *image;
	pixman_region32_t stale;
};

struct agent_buffer_pool {
	uint32_t width, height, stride;
	size_t count;
	struct agent_buffer buffers[AGENT_MAX_POOL_BUFFERS];
};

/* count buffers of width x height XRGB8888 with ids first_id, first_id+1, ...
 * Every buffer starts fully stale. NULL on failure (logged). */
struct agent_buffer_pool *agent_buffer_pool_create(uint32_t width, uint32_t height, size_t count,
						   uint32_t first_id);
/* The same with buffers in pages from sharer (which must outlive the pool);
 * sharer NULL means memfds. */
struct agent_buffer_pool *agent_buffer_pool_create_shared(uint32_t width, uint32_t height,
							  size_t count, uint32_t first_id,
							  const struct agent_page_sharer *sharer);
void agent_buffer_pool_destroy(struct agent_buffer_pool *pool);

/* A buffer the compositor does not hold, or NULL if all are busy. */
struct agent_buffer *agent_buffer_pool_acquire(struct agent_buffer_pool *pool);

/* BUFFER_RELEASE: false if id is not one of this pool's buffers. */
bool agent_buffer_pool_release(struct agent_buffer_pool *pool, uint32_t id);

/* The scene changed in damage: every buffer is now stale there. */
void agent_buffer_pool_add_damage(struct agent_buffer_pool *pool, pixman_region32_t *damage);

/* Creates a sealed memfd of size bytes; -1 on failure (logged). */
int agent_memfd_create_sealed(const char *name, size_t size);

#endif
