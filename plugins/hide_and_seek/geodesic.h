/*
 * The inverse geodesic distance on an ellipsoid, computed to the last bit
 * as the seed's Python computes it: geopy 2.3's geodesic() calling
 * GeographicLib 2.0's Python Geodesic.Inverse(..., Geodesic.DISTANCE)
 * under CPython 3.11 on x86-64 (glibc's libm for sin, cos, atan2, pow).
 *
 * Contract: pygeod_init() fills the ellipsoid's constants for an equatorial
 * radius a (any unit: the distance comes out in it) and a flattening
 * 0 < f < 0.1.  pygeod_s12() takes latitudes in [-90, 90] and finite
 * longitudes in degrees (as geopy's Point hands them over) and returns
 * Inverse()['s12'], a double equal to the one Python computes, never NaN
 * for such inputs.  Neither allocates nor keeps state between calls.
 */
#ifndef FNHOST_HS_GEODESIC_H
#define FNHOST_HS_GEODESIC_H

#define PYGEOD_ORDER 6
#define PYGEOD_NC3X ((PYGEOD_ORDER * (PYGEOD_ORDER - 1)) / 2)

struct pygeod {
	double a, f, f1, e2, ep2, n, b, etol2;
	double A3x[PYGEOD_ORDER];
	double C3x[PYGEOD_NC3X];
};

void pygeod_init(struct pygeod *g, double a, double f);
double pygeod_s12(const struct pygeod *g, double lat1, double lon1, double lat2,
		  double lon2);

/* CPython 3.11's math.hypot(x, y) (vector_norm), not libm's hypot(). */
double py_hypot(double x, double y);

#endif
