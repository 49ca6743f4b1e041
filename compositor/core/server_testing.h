/* For tests only (tests/unit): the server's internal state, which the
 * compositor reads only through server.h. Nothing under compositor/
 * includes this file. */
#ifndef TSR_CORE_SERVER_TESTING_H
#define TSR_CORE_SERVER_TESTING_H

#include "core/output_views.h"
#include "core/server.h"

/* Every output's layout mode and shown domain, and the keyboard owner
 * (core/output_views.h), as the server keeps them. */
const struct tsr_output_views *tsr_server_test_views(const struct tsr_server *server);

#endif
