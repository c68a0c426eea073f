/*
 * libFuzzer target for the xcpm reader.  Whatever the input, the reader
 * must return records, the end, or an error with a reason, and never crash
 * or leak.  Every record it accepts must also survive a round trip: written
 * back by the writer and read again, the same number of records comes out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct manifest_reader r, r2;
	struct manifest_writer w;
	struct manifest_record rec;
	char *out = NULL, *copy;
	size_t outlen = 0;
	uint64_t n = 0, n2 = 0;
	FILE *in, *mem, *back;
	int rc;

	if (size == 0)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if ((in = fmemopen(copy, size, "r")) == NULL ||
	    (mem = open_memstream(&out, &outlen)) == NULL) {
		if (in != NULL)
			fclose(in);
		free(copy);
		return 0;
	}
	if (manifest_stream(&w, mem) == -1)
		abort();
	if (manifest_open(&r, in) == 0) {
		while ((rc = manifest_next(&r, &rec)) == 1) {
			if (manifest_add(&w, &rec) == -1)
				abort();
			n++;
		}
		if (rc == -1 && r.why == NULL)
			abort();	/* an error must say why */
		if (rc == 0) {
			if (manifest_commit(&w) == -1)
				abort();
			fflush(mem);
			back = fmemopen(out, outlen, "r");
			if (back == NULL || manifest_open(&r2, back) == -1)
				abort();
			while ((rc = manifest_next(&r2, &rec)) == 1)
				n2++;
			if (rc != 0 || n2 != n)
				abort();
			manifest_close(&r2);
			fclose(back);
		} else
			manifest_abort(&w);
	} else {
		if (r.why == NULL)
			abort();
		manifest_abort(&w);
	}
	manifest_close(&r);
	fclose(in);
	fclose(mem);
	free(out);
	free(copy);
	return 0;
}
