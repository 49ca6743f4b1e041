/* Guest memfds as dma-bufs through Linux's udmabuf device (CONFIG_UDMABUF),
 * so that a display device can read a guest's pixels where they are, with
 * no copy. Optional: most kernels (Debian's among them) have no udmabuf,
 * and then every guest buffer is only mapped, as before. */
#ifndef TSR_TRANSPORT_UDMABUF_H
#define TSR_TRANSPORT_UDMABUF_H

#include <stddef.h>
#include <stdint.h>

#define TSR_UDMABUF_DEVICE "/dev/udmabuf"

struct tsr_udmabuf;

/* Opens device_path and proves it with a one-page sealed memfd of our own.
 * Logs one line either way ("dma-buf: udmabuf available (PATH)" or
 * "dma-buf: udmabuf unavailable: REASON"); NULL when unavailable. */
struct tsr_udmabuf *tsr_udmabuf_create(const char *device_path);
void tsr_udmabuf_destroy(struct tsr_udmabuf *udmabuf); /* accepts NULL */

/* The page size udmabuf counts in: offsets and lengths are multiples of it. */
uint64_t tsr_udmabuf_page_size(const struct tsr_udmabuf *udmabuf);

/* A new dma-buf fd (close-on-exec) of length bytes of memfd from offset,
 * both page multiples; -1 with err set. The dma-buf holds the pages, not
 * the memfd: the caller still closes memfd. udmabuf refuses memfds that
 * are not shmem, lack F_SEAL_SHRINK, carry F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE, or exceed its size_limit_mb (64 MiB by default). */
int tsr_udmabuf_export(const struct tsr_udmabuf *udmabuf, int memfd, uint64_t offset,
		       uint64_t length, char *err, size_t err_len);

#endif
