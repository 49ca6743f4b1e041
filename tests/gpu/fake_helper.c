/* Stands in for tessera-gpu-helper in the runner tests: any argument
 * "fail" makes it fail with a message, "hang" makes it sleep far past any
 * step timeout, "noisy" floods its output, "noisy-fail" floods it and then
 * fails; otherwise it succeeds. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "noisy-fail") == 0) {
			for (int n = 0; n < 1000; n++)
				printf("noise line %d\n", n);
			printf("the real reason\n");
			return 4;
		}
		if (strcmp(argv[i], "fail") == 0) {
			printf("first line\nfake failure of %s\n", argv[1]);
			return 3;
		}
		if (strcmp(argv[i], "hang") == 0) {
			printf("hanging in %s\n", argv[1]);
			fflush(stdout);
			sleep(600);
		}
		if (strcmp(argv[i], "noisy") == 0) {
			for (int n = 0; n < 100000; n++)
				printf("noise line %d\n", n);
		}
	}
	printf("fake %s done\n", argc > 1 ? argv[1] : "?");
	return 0;
}
