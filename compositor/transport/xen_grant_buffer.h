/* Guest buffers as grant mappings: a mapper per connected Xen guest owns a
 * gntdev handle and that guest's page quota; each imported buffer maps its
 * refs read-only into one contiguous range and unmaps them on destroy. */
#ifndef TSR_TRANSPORT_XEN_GRANT_BUFFER_H
#define TSR_TRANSPORT_XEN_GRANT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_link.h"

struct tsr_xen_grant_mapper;
struct tsr_dmabuf_budget;

/* NULL with err set if gntdev cannot be opened. */
struct tsr_xen_grant_mapper *tsr_xen_grant_mapper_create(uint32_t domid, uint32_t quota_pages,
							 char *err, size_t err_len);
/* Drops the caller's reference. Buffers hold their own, so the handle (and
 * the accounting) lives until the last mapping is gone, whatever order the
 * core destroys links and buffers in. Accepts NULL. */
void tsr_xen_grant_mapper_unref(struct tsr_xen_grant_mapper *mapper);

/* Pages this guest has mapped right now (for tests and statistics). */
uint32_t tsr_xen_grant_mapper_mapped_pages(const struct tsr_xen_grant_mapper *mapper);

/* Maps the refs of a decoded BUFFER_ATTACH_GRANTS read-only after checking
 * them against request and the quota. NULL with err set on any violation. */
struct tsr_buffer *tsr_xen_grant_buffer_import(struct tsr_xen_grant_mapper *mapper,
					       const struct tsr_msg_buffer_attach_grants *untrusted,
					       const struct tsr_buffer_request *request, char *err,
					       size_t err_len);

/* Also exports an imported buffer's pages as a dma-buf through gntdev
 * (xengnttab_dmabuf_exp_from_refs: a second, kernel-held grant mapping of
 * the same refs, the ones import checked), sets base.dmabuf_fd and takes
 * pages * TSR_PAGE_SIZE of budget (NULL: none). The buffer's destroy closes
 * the dma-buf and gives the budget back. Without a dma-buf the buffer is
 * only mapped, as before:
 * - REFUSED: the guest's layout (a first pixel inside a page) or the
 *   budget said no; later buffers may do better;
 * - FAILED: gntdev said no (e.g. EINVAL in a PV domain, whose gntdev never
 *   exports dma-bufs); it will say so again, so callers stop trying. */
enum tsr_xen_export_result {
	TSR_XEN_EXPORT_DONE,
	TSR_XEN_EXPORT_REFUSED,
	TSR_XEN_EXPORT_FAILED,
};
enum tsr_xen_export_result
tsr_xen_grant_buffer_export_dmabuf(struct tsr_buffer *buffer,
				   const struct tsr_msg_buffer_attach_grants *untrusted,
				   struct tsr_dmabuf_budget *budget, char *why, size_t why_len);

/* Single pages of the PV backends (displif, kbdif), through the same gntdev
 * handle and quiet logger:
 * - a ring page, mapped read-write (the backend writes responses and
 *   events there), not counted in the quota: a device has at most a few,
 *   their number is fixed by the backend, not by the guest;
 * - a page copied out once (a page directory), mapped read-only just for
 *   the copy.
 * NULL / false when the guest did not grant ref. */
void *tsr_xen_grant_mapper_map_ring(struct tsr_xen_grant_mapper *mapper, uint32_t ref);
void tsr_xen_grant_mapper_unmap_ring(struct tsr_xen_grant_mapper *mapper, void *page);
bool tsr_xen_grant_mapper_copy_page(struct tsr_xen_grant_mapper *mapper, uint32_t ref,
				    uint8_t out[TSR_PAGE_SIZE]);

/* Whether this dom0 kernel's gntdev exports grants as dma-bufs: it has the
 * ioctls (built with CONFIG_XEN_GNTDEV_DMABUF) and exports a read-only
 * page we grant to ourselves through gntalloc (a PV domain's 6.1 gntdev
 * refuses every export, with EINVAL). Without gntalloc only the ioctl is
 * proven and AVAILABLE is said; each guest's first real export then
 * tells (tsr_xen_grant_buffer_export_dmabuf). why says which, for the
 * start-up log line. */
enum tsr_xen_dmabuf_export {
	TSR_XEN_DMABUF_UNKNOWN,
	TSR_XEN_DMABUF_AVAILABLE,
	TSR_XEN_DMABUF_UNAVAILABLE,
};
enum tsr_xen_dmabuf_export tsr_xen_probe_dmabuf_export(uint32_t self_domid, char *why,
						       size_t why_len);

#endif
