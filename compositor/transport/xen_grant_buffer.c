/* Mapping happens only after tsr_xen_check_grants() proved the refs cover
 * the surface and the quota had room; both are undone together on destroy.
 * The mapping is PROT_READ: a guest's pages are never written by dom0, and
 * a guest granting them read-only (as the agent does) cannot be mapped
 * writable anyway. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>
#include <xentoollog.h>

#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "transport/dmabuf_budget.h"
#include "transport/xen_grant_buffer.h"
#include "transport/xen_grant_check.h"

struct tsr_xen_grant_mapper {
	unsigned refs;
	uint32_t domid;
	/* libxengnttab logs every failed map to its logger; a hostile guest
	 * must not be able to flood dom0's stderr, and we log the violation
	 * ourselves (once, as the drop reason). */
	xentoollog_logger_stdiostream *quiet_logger;
	xengnttab_handle *gnttab;
	struct tsr_xen_quota quota;
};

struct xen_grant_buffer {
	struct tsr_buffer base;
	struct tsr_xen_grant_mapper *mapper;
	void *map;
	uint32_t pages;
	/* With a dma-buf: the id gntdev knows it by (the fd number it was
	 * exported as), and the budget it took pages * TSR_PAGE_SIZE of. */
	uint32_t dmabuf_id;
	struct tsr_dmabuf_budget *budget;
};

struct tsr_xen_grant_mapper *tsr_xen_grant_mapper_create(uint32_t domid, uint32_t quota_pages,
							 char *err, size_t err_len)
{
	struct tsr_xen_grant_mapper *mapper = calloc(1, sizeof(*mapper));
	if (!mapper) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	mapper->refs = 1;
	mapper->domid = domid;
	mapper->quota.limit_pages = quota_pages;
	mapper->quiet_logger = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	mapper->gnttab = xengnttab_open((xentoollog_logger *)mapper->quiet_logger, 0);
	if (!mapper->gnttab) {
		snprintf(err, err_len, "cannot open gntdev: %s", strerror(errno));
		xtl_logger_destroy((xentoollog_logger *)mapper->quiet_logger);
		free(mapper);
		return NULL;
	}
	/* Defence in depth: kernels that still enforce a per-handle limit
	 * stop this handle at the quota too (newer kernels ignore it). */
	xengnttab_set_max_grants(mapper->gnttab, quota_pages);
	return mapper;
}

void tsr_xen_grant_mapper_unref(struct tsr_xen_grant_mapper *mapper)
{
	if (!mapper || --mapper->refs > 0)
		return;
	xengnttab_close(mapper->gnttab);
	xtl_logger_destroy((xentoollog_logger *)mapper->quiet_logger);
	free(mapper);
}

uint32_t tsr_xen_grant_mapper_mapped_pages(const struct tsr_xen_grant_mapper *mapper)
{
	return mapper->quota.used_pages;
}

/* The core took the buffer off every plane before destroying it
 * (core/scanout.c, domain.c's buffer_gone), so closing our fd normally
 * drops the dma-buf's last reference and gntdev unmaps its second mapping
 * of the grants right away. If a device still holds it, gntdev unmaps when
 * the device lets go: the zero-timeout wait only says which happened,
 * it never blocks the event loop. */
static void close_dmabuf(struct xen_grant_buffer *buffer)
{
	close(buffer->base.dmabuf_fd);
	buffer->base.dmabuf_fd = -1;
	if (xengnttab_dmabuf_exp_wait_released(buffer->mapper->gnttab, buffer->dmabuf_id, 0) < 0 &&
	    errno == ETIMEDOUT)
		tsr_log(TSR_LOG_DEBUG,
			"domid %u: a gntdev dma-buf is still held by a device; gntdev unmaps it "
			"when it is released",
			buffer->mapper->domid);
	tsr_dmabuf_budget_give_back(buffer->budget, (uint64_t)buffer->pages * TSR_PAGE_SIZE);
	buffer->budget = NULL;
}

static void grant_buffer_destroy(struct tsr_buffer *base)
{
	struct xen_grant_buffer *buffer = (struct xen_grant_buffer *)base;
	if (buffer->base.dmabuf_fd >= 0)
		close_dmabuf(buffer);
	if (xengnttab_unmap(buffer->mapper->gnttab, buffer->map, buffer->pages) < 0)
		tsr_log(TSR_LOG_ERROR, "domid %u: unmapping %u grant pages failed: %s",
			buffer->mapper->domid, buffer->pages, strerror(errno));
	tsr_xen_quota_release(&buffer->mapper->quota, buffer->pages);
	tsr_xen_grant_mapper_unref(buffer->mapper);
	free(buffer);
}

static const struct tsr_buffer_impl grant_buffer_impl = {
    .destroy = grant_buffer_destroy,
    .dmabuf_kind = "gntdev",
};

struct tsr_buffer *tsr_xen_grant_buffer_import(struct tsr_xen_grant_mapper *mapper,
					       const struct tsr_msg_buffer_attach_grants *untrusted,
					       const struct tsr_buffer_request *request, char *err,
					       size_t err_len)
{
	uint32_t pages;
	if (!tsr_xen_check_grants(untrusted->offset, untrusted->ref_count, request, &pages, err,
				  err_len))
		return NULL;
	if (!tsr_xen_quota_reserve(&mapper->quota, pages)) {
		snprintf(err, err_len,
			 "mapping %u more pages would exceed the quota (%u of %u used)", pages,
			 mapper->quota.used_pages, mapper->quota.limit_pages);
		return NULL;
	}
	struct xen_grant_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer) {
		snprintf(err, err_len, "out of memory");
		goto error_quota;
	}
	/* The refs were copied out of the ring by the decoder: the guest can no
	 * longer change them between this check and the map. The API takes a
	 * non-const array; the copy is the decoded message's, never the ring. */
	uint32_t *refs = (uint32_t *)untrusted->refs;
	buffer->map =
	    xengnttab_map_domain_grant_refs(mapper->gnttab, pages, mapper->domid, refs, PROT_READ);
	if (!buffer->map) {
		/* Refs the guest did not grant us (or already revoked). */
		snprintf(err, err_len, "cannot map %u grant refs read-only: %s", pages,
			 strerror(errno));
		goto error_buffer;
	}
	buffer->mapper = mapper;
	mapper->refs++;
	buffer->pages = pages;
	buffer->base.impl = &grant_buffer_impl;
	buffer->base.width = request->width;
	buffer->base.height = request->height;
	buffer->base.stride = request->stride;
	buffer->base.format = request->format;
	buffer->base.data = (uint8_t *)buffer->map + request->offset;
	buffer->base.read_only = true;
	buffer->base.dmabuf_fd = -1; /* tsr_xen_grant_buffer_export_dmabuf() */
	return &buffer->base;

error_buffer:
	free(buffer);
error_quota:
	tsr_xen_quota_release(&mapper->quota, pages);
	return NULL;
}

enum tsr_xen_export_result
tsr_xen_grant_buffer_export_dmabuf(struct tsr_buffer *base,
				   const struct tsr_msg_buffer_attach_grants *untrusted,
				   struct tsr_dmabuf_budget *budget, char *why, size_t why_len)
{
	if (base->impl != &grant_buffer_impl || base->dmabuf_fd >= 0) {
		snprintf(why, why_len, "not a grant buffer without a dma-buf");
		return TSR_XEN_EXPORT_REFUSED;
	}
	struct xen_grant_buffer *buffer = (struct xen_grant_buffer *)base;
	/* The first buffer->pages refs are the ones import checked and
	 * mapped (ref_count >= pages), from the decoder's copy, never the ring. */
	uint64_t bytes;
	if (!tsr_xen_dmabuf_bytes(untrusted->offset, buffer->pages, &bytes, why, why_len))
		return TSR_XEN_EXPORT_REFUSED;
	if (budget && !tsr_dmabuf_budget_take(budget, bytes, tsr_now_ns(), why, why_len))
		return TSR_XEN_EXPORT_REFUSED;
	uint32_t fd = 0;
	if (xengnttab_dmabuf_exp_from_refs(buffer->mapper->gnttab, buffer->mapper->domid, 0,
					   buffer->pages, untrusted->refs, &fd) != 0) {
		snprintf(why, why_len, "gntdev refused the export: %s", strerror(errno));
		if (budget)
			tsr_dmabuf_budget_give_back(budget, bytes);
		return TSR_XEN_EXPORT_FAILED;
	}
	/* gntdev makes the fd close-on-exec; said again, in case one does not. */
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	buffer->base.dmabuf_fd = (int)fd;
	buffer->dmabuf_id = fd;
	buffer->budget = budget;
	return TSR_XEN_EXPORT_DONE;
}

void *tsr_xen_grant_mapper_map_ring(struct tsr_xen_grant_mapper *mapper, uint32_t ref)
{
	return xengnttab_map_grant_ref(mapper->gnttab, mapper->domid, ref, PROT_READ | PROT_WRITE);
}

void tsr_xen_grant_mapper_unmap_ring(struct tsr_xen_grant_mapper *mapper, void *page)
{
	if (page && xengnttab_unmap(mapper->gnttab, page, 1) < 0)
		tsr_log(TSR_LOG_ERROR, "domid %u: unmapping a ring page failed: %s", mapper->domid,
			strerror(errno));
}

bool tsr_xen_grant_mapper_copy_page(struct tsr_xen_grant_mapper *mapper, uint32_t ref,
				    uint8_t out[TSR_PAGE_SIZE])
{
	void *page = xengnttab_map_grant_ref(mapper->gnttab, mapper->domid, ref, PROT_READ);
	if (!page)
		return false;
	memcpy(out, page, TSR_PAGE_SIZE);
	if (xengnttab_unmap(mapper->gnttab, page, 1) < 0)
		tsr_log(TSR_LOG_ERROR, "domid %u: unmapping a copied page failed: %s",
			mapper->domid, strerror(errno));
	return true;
}

/* Exports a read-only page we grant to ourselves (gntalloc), as agents
 * grant theirs: the real operation, with no guest involved, so the
 * verdict is the kernel's alone. In a PV domain 6.1's gntdev refuses it
 * with EINVAL before looking at the ref (use_ptemod). */
static enum tsr_xen_dmabuf_export prove_with_own_page(xengnttab_handle *gnttab,
						      xentoollog_logger *quiet, uint32_t self_domid,
						      char *why, size_t why_len)
{
	xengntshr_handle *gntshr = xengntshr_open(quiet, 0);
	uint32_t ref = 0;
	void *page = gntshr ? xengntshr_share_pages(gntshr, self_domid, 1, &ref, 0) : NULL;
	if (!page) {
		snprintf(why, why_len,
			 "the ioctl exists; not proven: cannot grant a page of our own: %s",
			 strerror(errno));
		if (gntshr)
			xengntshr_close(gntshr);
		return TSR_XEN_DMABUF_AVAILABLE;
	}
	uint32_t fd = 0;
	enum tsr_xen_dmabuf_export result;
	if (xengnttab_dmabuf_exp_from_refs(gnttab, self_domid, 0, 1, &ref, &fd) == 0) {
		close((int)fd);
		(void)xengnttab_dmabuf_exp_wait_released(gnttab, fd, 0);
		snprintf(why, why_len, "proven with a read-only page of our own");
		result = TSR_XEN_DMABUF_AVAILABLE;
	} else {
		int error = errno;
		snprintf(why, why_len, "gntdev refused to export a read-only page of our own: %s%s",
			 strerror(error),
			 error == EINVAL ? " (a PV domain's gntdev exports no dma-bufs)" : "");
		result = TSR_XEN_DMABUF_UNAVAILABLE;
	}
	xengntshr_unshare(gntshr, page, 1);
	xengntshr_close(gntshr);
	return result;
}

/* First the ioctl alone: a kernel without CONFIG_XEN_GNTDEV_DMABUF rejects
 * it (ENOTTY; ENOSYS or EOPNOTSUPP from libxengnttab on other systems)
 * whatever it is given; a ref of a domain that cannot exist tells that
 * apart from any other failure. Then the real thing (above). */
enum tsr_xen_dmabuf_export tsr_xen_probe_dmabuf_export(uint32_t self_domid, char *why,
						       size_t why_len)
{
	xentoollog_logger_stdiostream *quiet =
	    xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	xengnttab_handle *gnttab = xengnttab_open((xentoollog_logger *)quiet, 0);
	if (!gnttab) {
		snprintf(why, why_len, "cannot open gntdev: %s", strerror(errno));
		xtl_logger_destroy((xentoollog_logger *)quiet);
		return TSR_XEN_DMABUF_UNKNOWN;
	}
	uint32_t ref = 0, fd = 0;
	enum tsr_xen_dmabuf_export result;
	if (xengnttab_dmabuf_exp_from_refs(gnttab, 0x7fefu, 0, 1, &ref, &fd) == 0) {
		close((int)fd);
		snprintf(why, why_len, "gntdev exported a ref of no domain");
		result = TSR_XEN_DMABUF_AVAILABLE;
	} else if (errno == ENOTTY || errno == ENOSYS || errno == EOPNOTSUPP) {
		snprintf(why, why_len, "gntdev has no dma-buf export (CONFIG_XEN_GNTDEV_DMABUF)");
		result = TSR_XEN_DMABUF_UNAVAILABLE;
	} else {
		result = prove_with_own_page(gnttab, (xentoollog_logger *)quiet, self_domid, why,
					     why_len);
	}
	xengnttab_close(gnttab);
	xtl_logger_destroy((xentoollog_logger *)quiet);
	return result;
}
