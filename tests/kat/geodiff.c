/*
 * geodiff: the differential harness's C side (tests/kat/gen_geodesic.py).
 *
 * Reads lines "lat1 lon1 lat2 lon2", each a C99 hex float (Python's
 * float.hex(), so no decimal rounding stands between the two sides), and
 * writes for each the repr() of hide_and_seek's distance in metres:
 * pygeod_s12() on geopy's WGS-84 in kilometres, then "* 1000" as
 * geopy's Distance.m does.  The points are taken as geopy's Point hands
 * them over (latitude in [-90, 90], longitude as given).  Exits 2 on a
 * malformed line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "geodesic.h"
#include "pyfloat.h"

int
main(void)
{
	char line[512], out[PYFLOAT_REPR_MAX];
	double v[4], d;
	struct pygeod g;
	int i, n;

	pygeod_init(&g, 6378.137, 1 / 298.257223563);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *p = line, *end;

		for (i = 0; i < 4; i++) {
			v[i] = strtod(p, &end);
			if (end == p) {
				fprintf(stderr, "geodiff: bad line: %s", line);
				return 2;
			}
			/* Point() turns a zero of either sign into 0.0. */
			if (v[i] == 0)
				v[i] = 0.0;
			p = end;
		}
		d = (pygeod_s12(&g, v[0], v[1], v[2], v[3]) + 0.0 + 0.0) * 1000;
		n = pyfloat_repr(d, out, sizeof(out));
		if (n < 0)
			return 2;
		puts(out);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
