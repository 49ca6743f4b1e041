/* Writes one valid encoded message per type (two sizes of grants) into the
 * directory named on the command line, as seeds for fuzz_protocol. */
#include <stdio.h>
#include <stdlib.h>

#include "protocol_test_util.h"

static bool write_seed(const char *dir, const char *name, const uint8_t *bytes, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *file = fopen(path, "wb");
	if (file == NULL) {
		perror(path);
		return false;
	}
	bool ok = fwrite(bytes, 1, len, file) == len;
	if (fclose(file) != 0) {
		ok = false;
	}
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	int status = 1;
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	uint8_t *buf = malloc(TSR_MAX_MESSAGE_SIZE);
	if (msg == NULL || buf == NULL) {
		goto out;
	}
	for (size_t i = 0; i < TSR_TEST_TYPE_COUNT; i++) {
		tsr_test_example(msg, tsr_test_all_types[i], 4);
		size_t len = tsr_msg_encode(msg, buf, TSR_MAX_MESSAGE_SIZE);
		if (len == 0 ||
		    !write_seed(argv[1], tsr_msg_type_name(tsr_test_all_types[i]), buf, len)) {
			goto out;
		}
	}
	tsr_test_example(msg, TSR_MSG_BUFFER_ATTACH_GRANTS, 1);
	size_t len = tsr_msg_encode(msg, buf, TSR_MAX_MESSAGE_SIZE);
	if (len == 0 || !write_seed(argv[1], "BUFFER_ATTACH_GRANTS_1", buf, len)) {
		goto out;
	}
	status = 0;
out:
	free(buf);
	free(msg);
	return status;
}
