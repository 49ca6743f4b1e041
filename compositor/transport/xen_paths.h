/* Xenstore paths and names for the Xen transport, as pure functions.
 *
 * Every path is built by dom0 from a domid; nothing is ever derived from a
 * node a guest can write. The guest's own directory
 * /local/domain/<domid>/data/ is writable by the guest: the agent's vchan
 * nodes there (ring-ref, event-channel) are only a signal that a vchan may
 * be ready, and libxenvchan validates what it maps from them. */
#ifndef TSR_TRANSPORT_XEN_PATHS_H
#define TSR_TRANSPORT_XEN_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tsr_config;

/* Domids 0..0x7fef are real domains; 0x7ff0 (DOMID_FIRST_RESERVED) and up
 * are reserved (DOMID_SELF, DOMID_IO, ...). */
#define TSR_XEN_DOMID_MAX 0x7fefu

/* Where the agent's vchan server publishes, relative to the guest's home
 * (/local/domain/<domid>/). The agent uses the same string. */
#define TSR_XEN_VCHAN_SUBPATH "data/tessera"

/* Big enough for every path built here ("/local/domain/32751/data/tessera",
 * 32 bytes). libxenvchan appends "/event-channel" into a 64-byte buffer and
 * truncates silently beyond that, so paths stay short by construction. */
#define TSR_XEN_PATH_MAX 48u

/* Parses a decimal domid: digits only, no sign, no leading zero (except
 * "0"), at most TSR_XEN_DOMID_MAX. */
bool tsr_xen_parse_domid(const char *untrusted_text, uint32_t *out_domid);

/* /local/domain/<domid>/data/tessera: where the agent's vchan appears. */
bool tsr_xen_vchan_path(uint32_t domid, char *out, size_t out_len);
/* /local/domain/<domid>/name: written by the toolstack, read-only for the
 * guest. */
bool tsr_xen_name_path(uint32_t domid, char *out, size_t out_len);

/* Watch tokens for a domain's vchan directory: "tessera-vchan:<domid>". The
 * token comes back with each event; the event's path (which a guest can
 * choose, by writing below its directory) is never parsed. */
bool tsr_xen_vchan_token(uint32_t domid, char *out, size_t out_len);
bool tsr_xen_parse_vchan_token(const char *token, uint32_t *out_domid);

/* The index of the configured domain with transport = xen, display = agent
 * and exactly this toolstack name, or -1 (local domains and PV displays of
 * the same name never match). */
int tsr_xen_config_match(const struct tsr_config *config, const char *toolstack_name);
/* The same for display = pv (the displif backend's domains). */
int tsr_xen_config_match_pv(const struct tsr_config *config, const char *toolstack_name);
/* The same whatever the display path: a PV keyboard (input = pv) may go
 * with an agent's display or with a PV display. */
int tsr_xen_config_match_any(const struct tsr_config *config, const char *toolstack_name);

#endif
