/* Guest buffers shared as memfds: checked (regular shmem file, sealed
 * against shrinking, big enough) and mapped read-only. */
#ifndef TSR_TRANSPORT_MEMFD_BUFFER_H
#define TSR_TRANSPORT_MEMFD_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_link.h"

/* Does not take fd (the caller closes it; the mapping stays valid). */
struct tsr_buffer *tsr_memfd_buffer_import(int fd, uint32_t untrusted_offset,
					   uint32_t untrusted_size,
					   const struct tsr_buffer_request *request, char *err,
					   size_t err_len);

#endif
