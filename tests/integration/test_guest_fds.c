/* Guest-supplied fds of every kind, ERROR codes per violation category and
 * what a peer can make Tessera log, against real tessera and agent
 * processes (protocol/README.md sections 7 and 8.1, README.md security
 * model). Responsiveness is asserted by outcomes: while a guest's fd would
 * block a close() for an hour, another domain keeps committing (which its
 * agent only does after FRAME_DONE) and the control socket answers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/domain.h"
#include "harness.h"
#include "test.h"

static const char config_text[] = "[output]\nwidth = 640\nheight = 400\n"
				  "[domain work]\ncolour = blue\n"
				  "[domain untrusted]\ncolour = red\n"
				  "[domain flood]\ncolour = green\n"
				  "[domain storm]\ncolour = yellow\n";

static struct harness harness;
static pid_t honest;

static pid_t start_hostile(const char *domain, const char *mode, const char *log_name)
{
	char socket_path[512], agent[512];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, domain);
	snprintf(agent, sizeof(agent), "%s", harness_binary("tests/integration/hostile-agent"));
	char *argv[] = {agent, "--socket", socket_path, "--mode", (char *)mode, NULL};
	return harness_spawn(&harness, log_name, argv);
}

static pid_t start_honest(const char *domain)
{
	char socket_path[512], agent[512], log_name[64];
	snprintf(socket_path, sizeof(socket_path), "%s/%s.sock", harness.dir, domain);
	snprintf(agent, sizeof(agent), "%s", harness_binary("guest-agent/tessera-agent"));
	snprintf(log_name, sizeof(log_name), "agent-%s", domain);
	char *argv[] = {agent, "--socket", socket_path, "--name", (char *)domain, NULL};
	return harness_spawn(&harness, log_name, argv);
}

/* Tessera answers and the honest domain still gets FRAME_DONE. */
static void check_responsive(void)
{
	long long commits = harness_stat(&harness, "work", "commits");
	CHECK(commits >= 0);
	CHECK(harness_wait_stat(&harness, "work", "commits", commits + 3, 10000));
	CHECK(harness_alive(harness.compositor));
}

/* The guest was dropped with ERROR(code) and the drop was counted. */
static void check_dropped_with(const char *log_name, long long violations_before, unsigned code)
{
	char expected[64];
	snprintf(expected, sizeof(expected), "(code %u)", code);
	if (!harness_log_contains(&harness, log_name, expected))
		fprintf(stderr, "%s: no ERROR %s (see %s/%s.log)\n", log_name, expected,
			harness.dir, log_name);
	CHECK(harness_log_contains(&harness, log_name, "hostile: dropped: "));
	CHECK(harness_log_contains(&harness, log_name, expected));
	CHECK(harness_wait_stat(&harness, "untrusted", "violations", violations_before + 1, 5000));
}

static void run_mode(const char *mode, unsigned code)
{
	long long violations = harness_stat(&harness, "untrusted", "violations");
	char log_name[64];
	snprintf(log_name, sizeof(log_name), "hostile-%s", mode);
	int status = harness_wait(start_hostile("untrusted", mode, log_name), 30000);
	if (status != 0)
		fprintf(stderr, "mode %s: hostile-agent exit %d (see %s/%s.log)\n", mode, status,
			harness.dir, log_name);
	CHECK_EQ_INT(status, 0);
	check_dropped_with(log_name, violations, code);
	check_responsive();
}

static void test_setup(void)
{
	CHECK(harness_start(&harness, "guest-fds", config_text));
	honest = start_honest("work");
	CHECK(harness_wait_stat(&harness, "work", "commits", 3, 20000));
}

/* Each kind of fd that is not a memfd, sent as a buffer: BUFFER. */
static void test_fds_that_are_not_buffers(void)
{
	static const char *const kinds[] = {"fifo", "pipe", "socketpair", "dev-zero", "directory"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		run_mode(kinds[i], 5);
}

/* Its close() would block for an hour: Tessera must not notice. */
static void test_lingering_tcp_socket(void)
{
	long long violations = harness_stat(&harness, "untrusted", "violations");
	pid_t holder = start_hostile("untrusted", "tcp-linger", "hostile-tcp-linger");
	CHECK(harness_wait_log(&harness, "hostile-tcp-linger", "holding the TCP peer", 20000));
	check_dropped_with("hostile-tcp-linger", violations, 5);
	/* While the close is blocked: other domains draw, the control socket
	 * answers, and even the same domain is served again. */
	check_responsive();
	run_mode("pipe", 5);
	check_responsive();
	kill(holder, SIGTERM);
	CHECK_EQ_INT(harness_wait(holder, 10000), 0);
	check_responsive();
}

/* One per category of protocol/README.md section 7. */
static void test_error_codes(void)
{
	run_mode("two-fds", 1);		  /* PROTOCOL: an extra fd */
	run_mode("fd-on-damage", 1);	  /* PROTOCOL: an fd on a message without one */
	run_mode("bad-version", 2);	  /* VERSION */
	run_mode("too-many-buffers", 3);  /* LIMIT */
	run_mode("duplicate-surface", 4); /* ID */
	run_mode("no-capability", 6);	  /* CAPABILITY */
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The most lines the log budget allows over `seconds`: a full burst and a
 * summary in every window the interval touches. */
static long log_bound(double seconds)
{
	double window = (double)TSR_DOMAIN_LOG_WINDOW_S;
	return ((long)(seconds / window) + 2) * (long)(TSR_DOMAIN_LOG_BURST + 1);
}

static void run_loop(const char *mode, long long *refused_delta)
{
	long before = harness_log_count(&harness, "tessera", "[domain flood]");
	long long refused = harness_stat(&harness, "flood", "refused");
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char log_name[64];
	snprintf(log_name, sizeof(log_name), "hostile-%s", mode);
	CHECK_EQ_INT(harness_wait(start_hostile("flood", mode, log_name), 120000), 0);
	/* Let Tessera handle the last connections before counting. */
	check_responsive();
	double seconds = seconds_since(&start);
	long lines = harness_log_count(&harness, "tessera", "[domain flood]") - before;
	printf("%s: 1000 connections, %ld log lines in %.2f s (bound %ld)\n", mode, lines, seconds,
	       log_bound(seconds));
	CHECK(lines <= log_bound(seconds));
	*refused_delta = harness_stat(&harness, "flood", "refused") - refused;
}

static void test_connection_loops_bounded_log(void)
{
	long long refused;
	run_loop("connect-loop", &refused);
	run_loop("second-connection-loop", &refused);
	CHECK_EQ_INT(refused, 1000); /* each second connection counted */
	CHECK_EQ_INT(harness_stat(&harness, "flood", "violations"), 0);
	/* The domain's honest guest connects and draws right after. */
	pid_t guest = start_honest("flood");
	CHECK(harness_wait_stat(&harness, "flood", "commits", 3, 20000));
	kill(guest, SIGTERM);
	harness_wait(guest, 5000);
}

/* A domain whose closer is stuck and full is not served (nothing is closed
 * on the loop), the others are; once the close returns it is served again. */
static void test_full_closer_pauses_only_its_domain(void)
{
	pid_t storm = start_hostile("storm", "closer-storm", "hostile-closer-storm");
	CHECK(harness_wait_log(&harness, "tessera", "[domain storm] not accepting connections",
			       60000));
	CHECK(
	    harness_wait_log(&harness, "hostile-closer-storm", "the next is not accepted", 30000));
	CHECK_EQ_INT(harness_stat(&harness, "storm", "connected"), 0);
	check_responsive();
	run_mode("socketpair", 5); /* another domain's fds are still handled */
	kill(storm, SIGUSR1);
	int status = harness_wait(storm, 30000);
	if (status != 0)
		fprintf(stderr, "closer-storm: exit %d (see %s/hostile-closer-storm.log)\n", status,
			harness.dir);
	CHECK_EQ_INT(status, 0);
	CHECK(harness_log_contains(&harness, "tessera",
				   "[domain storm] accepting connections again"));
	check_responsive();
}

/* SIGTERM ends Tessera even while a guest's fd blocks its close(). */
static void test_shutdown_with_blocked_close(void)
{
	pid_t holder = start_hostile("untrusted", "tcp-linger", "hostile-tcp-linger-exit");
	CHECK(harness_wait_log(&harness, "hostile-tcp-linger-exit", "holding the TCP peer", 20000));
	kill(honest, SIGTERM);
	harness_wait(honest, 5000);
	CHECK(harness_stop(&harness));
	kill(holder, SIGTERM);
	harness_wait(holder, 10000);
}

TSR_TEST_MAIN(TSR_CASE(test_setup), TSR_CASE(test_fds_that_are_not_buffers),
	      TSR_CASE(test_lingering_tcp_socket), TSR_CASE(test_error_codes),
	      TSR_CASE(test_connection_loops_bounded_log),
	      TSR_CASE(test_full_closer_pauses_only_its_domain),
	      TSR_CASE(test_shutdown_with_blocked_close))
