#ifndef TSR_DEFAULT_CONFIG_H
#define TSR_DEFAULT_CONFIG_H

/* NUL-terminated text of data/tessera.conf. */
extern const char tsr_default_config_text[];

#endif
