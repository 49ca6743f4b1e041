/* Logging. Every line that concerns a domain names it: use tsr_log_domain. */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum tsr_log_level { TSR_LOG_ERROR = 0, TSR_LOG_WARN, TSR_LOG_INFO, TSR_LOG_DEBUG };

/* Lines less severe than TESSERA_LOG (error|warn|info|debug; default info)
 * are dropped. */
void tsr_log(enum tsr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "[domain NAME/DOMID] message": domid is -1 for local-transport domains. */
void tsr_log_domain(enum tsr_log_level level, const char *domain_name, int32_t domid,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void tsr_log_domain_v(enum tsr_log_level level, const char *domain_name, int32_t domid,
		      const char *fmt, va_list args) __attribute__((format(printf, 4, 0)));

#define tsr_log_errno(level, fmt, ...) tsr_log(level, fmt ": %m", ##__VA_ARGS__)

#endif
