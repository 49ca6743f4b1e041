/* The local transport's link: one guest over a unix stream socket, buffers
 * as sealed memfds (and dma-bufs of them where the kernel has udmabuf). */
#ifndef TSR_TRANSPORT_LOCAL_LINK_H
#define TSR_TRANSPORT_LOCAL_LINK_H

#include "core/guest_link.h"

struct tsr_event_loop;
struct tsr_fd_closer;
struct tsr_udmabuf;

/* SCM_MAX_FD (the kernel's include/net/scm.h; not exported): the most fds
 * one sendmsg carries, and a unix stream recvmsg returns the fds of one
 * sendmsg at most. */
#define TSR_LOCAL_MAX_FDS_PER_READ 253u
/* The most closer slots one link uses over its life: the fds of one read
 * (a non-memfd drops the link right after it) and the connection. */
#define TSR_LOCAL_LINK_CLOSER_RESERVE (TSR_LOCAL_MAX_FDS_PER_READ + 1u)

/* Takes ownership of fd (a connected socket), even on failure. Every guest
 * fd the link cannot prove to be a memfd, and fd itself, is closed through
 * closer, which must outlive the link and have TSR_LOCAL_LINK_CLOSER_RESERVE
 * free slots reserved for it. With udmabuf (NULL: none), each memfd buffer
 * is also made a dma-buf when it can be (tsr_buffer.dmabuf_fd);
 * domain_name (NULL allowed) names log lines. Both must outlive the link. */
struct tsr_guest_link *tsr_local_link_create(struct tsr_event_loop *loop, int fd,
					     struct tsr_fd_closer *closer,
					     const struct tsr_udmabuf *udmabuf,
					     const char *domain_name);

/* Starts reading; call after the listener is set. */
bool tsr_local_link_start(struct tsr_guest_link *link);

#endif
