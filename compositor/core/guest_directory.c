/* The transports' door into the core (guest_directory.h): the server's
 * domains by index, nothing else. */
#include "core/guest_directory.h"
#include "core/domain.h"
#include "core/input_sink.h"
#include "core/server.h"

static const struct tsr_server *server_of(const struct tsr_guest_directory *guests)
{
	return (const struct tsr_server *)guests;
}

static struct tsr_domain *domain_of(const struct tsr_guest_directory *guests, size_t index)
{
	return tsr_server_domain(server_of(guests), index);
}

struct tsr_guest_directory *tsr_server_guests(struct tsr_server *server)
{
	return (struct tsr_guest_directory *)server;
}

const struct tsr_config *tsr_guests_config(const struct tsr_guest_directory *guests)
{
	return tsr_server_config(server_of(guests));
}

bool tsr_guests_may_connect(struct tsr_guest_directory *guests, size_t index, int32_t domid)
{
	return tsr_domain_may_connect(domain_of(guests, index), domid);
}

bool tsr_guests_attach_link(struct tsr_guest_directory *guests, size_t index,
			    struct tsr_guest_link *link, int32_t domid)
{
	return tsr_domain_attach_link(domain_of(guests, index), link, domid);
}

bool tsr_guests_connected(const struct tsr_guest_directory *guests, size_t index)
{
	return tsr_domain_connected(domain_of(guests, index));
}

void tsr_guests_disconnect(struct tsr_guest_directory *guests, size_t index, const char *reason,
			   bool violation)
{
	/* Does nothing when no guest is connected. */
	tsr_domain_disconnect(domain_of(guests, index), reason, violation);
}

bool tsr_guests_attach_input_sink(struct tsr_guest_directory *guests, size_t index,
				  struct tsr_input_sink *sink)
{
	return tsr_domain_attach_input_sink(domain_of(guests, index), sink);
}

void tsr_guests_detach_input_sink(struct tsr_guest_directory *guests, size_t index,
				  struct tsr_input_sink *sink)
{
	tsr_domain_detach_input_sink(domain_of(guests, index), sink);
}

void tsr_guests_report_violation(struct tsr_guest_directory *guests, size_t index, int32_t domid)
{
	tsr_domain_note_violation(domain_of(guests, index), domid);
}
