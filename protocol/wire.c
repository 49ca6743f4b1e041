/* placeholder: the protocol helper replaces this */
int tsr_placeholder_wire;
