/* PCI addresses as the kernel names devices in sysfs: DDDD:BB:DD.F, lower
 * case hex, slot 00..1f, function 0..7. Shared by the library and the
 * privileged helper, which re-checks every argument it gets. */
#ifndef TSR_GPU_PCI_ADDRESS_H
#define TSR_GPU_PCI_ADDRESS_H

#include <stdbool.h>

bool tsr_pci_address_valid(const char *text);

#endif
