/* Guest buffers shared as memfds: checked (regular shmem file, sealed
 * against shrinking, big enough) and mapped read-only; also dma-bufs where
 * the kernel has udmabuf (udmabuf.h). */
#ifndef TSR_TRANSPORT_MEMFD_BUFFER_H
#define TSR_TRANSPORT_MEMFD_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_link.h"

struct tsr_udmabuf;
struct tsr_dmabuf_budget;

/* Does not take fd (the caller closes it; the mapping stays valid). */
struct tsr_buffer *tsr_memfd_buffer_import(int fd, uint32_t untrusted_offset,
					   uint32_t untrusted_size,
					   const struct tsr_buffer_request *request, char *err,
					   size_t err_len);

/* Gives a buffer tsr_memfd_buffer_import made from fd (still open) a
 * dma-buf of its pixels (buffer->dmabuf_fd). The dma-buf covers the pixels
 * from the first one to the end of the page holding the last, which the
 * memfd always has (its size was checked, and a file holds whole pages).
 * False, with why set and the buffer left as it was (mapped only, still
 * good), when it cannot: an offset that is not a page multiple, a
 * write-sealed memfd (udmabuf refuses them), or udmabuf's own refusal
 * (size_limit_mb), or the connection's budget (dmabuf_budget.h; NULL:
 * none, for tests). Never blocks on the guest's file: fd is a proven
 * shmem memfd. */
bool tsr_memfd_buffer_export_dmabuf(struct tsr_buffer *buffer, int fd,
				    const struct tsr_udmabuf *udmabuf,
				    struct tsr_dmabuf_budget *budget, char *why, size_t why_len);

#endif
