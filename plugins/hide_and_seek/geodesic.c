/*
 * Karney's inverse geodesic, bit for bit as the seed's Python runs it.
 *
 * The algorithm is C. F. F. Karney, "Algorithms for geodesics", J. Geodesy
 * 87 (2013) 43-55; the sequence of floating-point operations is that of
 * GeographicLib 2.0's Python implementation (geographiclib/geodesic.py and
 * geomath.py, Geodesic.Inverse with outmask DISTANCE, as geopy 2.3's
 * geodesic.measure() calls it).  Every expression below keeps Python's
 * order of evaluation (left to right, no reassociation, no fused
 * multiply-add: the Makefile builds plugins with -ffp-contract=off) so that
 * each intermediate double is the one CPython computes.  Only what the
 * distance depends on is computed: azimuths, reduced length scales and
 * areas are left out, but every branch that steers the distance is kept.
 *
 * Where Python and C differ, this follows Python:
 *  - math.hypot is CPython's own (py_hypot below), not libm's;
 *  - round() rounds half to even (rint() in the default rounding mode);
 *  - an int's % is a floor modulo, never negative;
 *  - min(a, b) and max(a, b) return a unless b is strictly smaller/larger;
 *  - math.radians(x) is x * (pi / 180), one rounding;
 *  - _Lengths() with the reduced length alone folds C1 into C2 for
 *    l = 1..5 (Python's range(1, nC2_)), leaving C2[6] as it is, where
 *    GeographicLib's C library (PROJ's geod_inverse) folds l = 1..6; the
 *    derivative Newton's method steps with differs in its last bits.
 * math.sin, cos, atan2, sqrt, pow, fmod and remainder are libm's (CPython
 * calls them for finite arguments; fmod and remainder are exact anyway).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "geodesic.h"

#define NA1 PYGEOD_ORDER
#define NC1 PYGEOD_ORDER
#define NA2 PYGEOD_ORDER
#define NC2 PYGEOD_ORDER
#define NA3 PYGEOD_ORDER
#define NC3 PYGEOD_ORDER
#define MAXIT1 20
#define MAXIT2 (MAXIT1 + DBL_MANT_DIG + 10)

/* Python's math.pi, math.radians' factor and the class's tolerances. */
#define PY_PI 3.141592653589793
static const double deg_to_rad = PY_PI / 180.0;
/* math.sqrt(sys.float_info.min) is exactly 2^-511. */
#define TINY 0x1p-511
#define TOL0 DBL_EPSILON
#define TOL1 (200 * TOL0)

/* sqrt(DBL_EPSILON), DBL_EPSILON * it and 1000 * it, set at init. */
static double tol2, tolb, xthresh;

static double
sq(double x)
{
	return x * x;
}

static double
py_max(double a, double b)
{
	return b > a ? b : a;
}

static double
py_min(double a, double b)
{
	return b < a ? b : a;
}

/* One of hypot's steps: csum += x, the rounding error into *frac. */
static void
hyp_add(double *csum, double *frac, double x)
{
	double old = *csum;

	*csum += x;
	*frac += (old - *csum) + x;
}

/*
 * CPython 3.11 Modules/mathmodule.c, vector_norm() for two coordinates:
 * scale by a power of two so the largest is in [0.5, 1), split each into
 * 26-bit halves (Veltkamp) so the squares are exact, accumulate from 1.0
 * with the rounding errors kept apart, take the square root, then one
 * correction step from the residual of h*h.  Far more accurate than a
 * plain sqrt(x*x + y*y), and different from glibc's hypot() in the last
 * bit now and then, which is why GeographicLib's results depend on it.
 */
double
py_hypot(double x, double y)
{
	const double split = 134217729.0; /* 2^27 + 1 */
	double v[2] = { fabs(x), fabs(y) };
	double max = 0.0, csum = 1.0, f1 = 0.0, f2 = 0.0, f3 = 0.0;
	double scale, t, hi, lo, h, r;
	int e, i;

	for (i = 0; i < 2; i++)
		if (v[i] > max)
			max = v[i];
	if (isinf(max))
		return max;
	if (isnan(v[0]) || isnan(v[1]))
		return NAN;
	if (max == 0.0)
		return max;
	frexp(max, &e);
	if (e < -1023) {
		/* Scaling by 2^-e would overflow: divide by max instead. */
		for (i = 0; i < 2; i++)
			hyp_add(&csum, &f1, sq(v[i] / max));
		return max * sqrt(csum - 1.0 + f1);
	}
	scale = ldexp(1.0, -e);
	for (i = 0; i < 2; i++) {
		r = v[i] * scale;
		t = r * split;
		hi = t - (t - r);
		lo = r - hi;
		hyp_add(&csum, &f1, hi * hi);
		hyp_add(&csum, &f2, 2.0 * hi * lo);
		f3 += lo * lo;
	}
	h = sqrt(csum - 1.0 + (f1 + f2 + f3));
	t = h * split;
	hi = t - (t - h);
	lo = h - hi;
	hyp_add(&csum, &f1, -hi * hi);
	hyp_add(&csum, &f2, -2.0 * hi * lo);
	hyp_add(&csum, &f3, -lo * lo);
	r = csum - 1.0 + (f1 + f2 + f3);
	return (h + r / (2.0 * h)) / scale;
}

/* Math.norm(): (x, y) / hypot(x, y). */
static void
norm2(double *x, double *y)
{
	double r = py_hypot(*x, *y);

	*x = *x / r;
	*y = *y / r;
}

/* Math.sum(): s = round(u + v) and t, the error, with u + v = s + t. */
static double
sum2(double u, double v, double *t)
{
	double s = u + v, up = s - v, vpp = s - up;

	up -= u;
	vpp -= v;
	*t = s == 0 ? s : 0.0 - (up + vpp);
	return s;
}

/* Math.polyval(): Horner on p[0..n], highest power first. */
static double
polyval(int n, const double *p, double x)
{
	double y = n < 0 ? 0.0 : p[0];
	int i;

	for (i = 1; i <= n; i++)
		y = y * x + p[i];
	return y;
}

/* Math.AngRound(): tiny angles underflow to zero (1/16 - (1/16 - y)). */
static double
ang_round(double x)
{
	const double z = 1 / 16.0;
	volatile double w; /* keeps z - (z - y) from becoming y */
	double y = fabs(x);

	if (y < z) {
		w = z - y;
		y = z - w;
	}
	return copysign(y, x);
}

static double
py_remainder(double x, double y)
{
	return isfinite(x) ? remainder(x, y) : NAN;
}

/* Math.AngDiff(): y - x reduced to [-180, 180], exactly, plus error *e. */
static double
ang_diff(double x, double y, double *e)
{
	double t, d = sum2(py_remainder(-x, 360), py_remainder(y, 360), &t);

	d = sum2(py_remainder(d, 360), t, &t);
	if (d == 0 || fabs(d) == 180)
		d = copysign(d, t == 0 ? y - x : -t);
	*e = t;
	return d;
}

/* The quadrant swap of sincosd()/sincosde(); q is Python's q % 4. */
static void
sincos_quadrant(double r, double x, long q, double *sinx, double *cosx)
{
	double s = sin(r), c = cos(r), u;

	switch (((q % 4) + 4) % 4) {
	case 1:
		u = s;
		s = c;
		c = -u;
		break;
	case 2:
		s = -s;
		c = -c;
		break;
	case 3:
		u = s;
		s = -c;
		c = u;
		break;
	}
	c = c + 0.0;
	if (s == 0)
		s = copysign(s, x);
	*sinx = s;
	*cosx = c;
}

/* Math.sincosd(): sine and cosine of x degrees, by quadrant. */
static void
sincosd(double x, double *s, double *c)
{
	double r = isfinite(x) ? fmod(x, 360) : NAN;
	long q = isnan(r) ? 0 : (long)rint(r / 90);

	r -= (double)(90 * q);
	sincos_quadrant(r * deg_to_rad, x, q, s, c);
}

/* Math.sincosde(): sine and cosine of x + t degrees, x in [-180, 180]. */
static void
sincosde(double x, double t, double *s, double *c)
{
	long q = isfinite(x) ? (long)rint(x / 90) : 0;
	double r = x - (double)(90 * q);

	sincos_quadrant(ang_round(r + t) * deg_to_rad, x, q, s, c);
}

/* _SinCosSeries(True, ...): Clenshaw sum of c[1..n-1] sin(2 l sigma). */
static double
sin_series(double sinx, double cosx, const double *c, int len)
{
	double ar = 2 * (cosx - sinx) * (cosx + sinx), y0, y1 = 0;
	int k = len, n = len - 1;

	if (n & 1)
		y0 = c[--k];
	else
		y0 = 0;
	for (n /= 2; n; n--) {
		k--;
		y1 = ar * y0 - y1 + c[k];
		k--;
		y0 = ar * y1 - y0 + c[k];
	}
	return 2 * sinx * cosx * y0;
}

/* Coefficients of Karney's series, as geodesic.py lists them. */
static const double coeff_A1[] = { 1, 4, 64, 0, 256 };
static const double coeff_C1[] = {
	-1,  6,	  -16, 32, -9,	64, -128, 2048, 9,
	-16, 768, 3,   -5, 512, -7, 1280, -7,	2048,
};
static const double coeff_A2[] = { -11, -28, -192, 0, 256 };
static const double coeff_C2[] = {
	1,  2,	 16, 32, 35,  64, 384,	2048, 15,
	80, 768, 7,  35, 512, 63, 1280, 77,   2048,
};
static const double coeff_A3[] = {
	-3, 128, -2, -3, 64, -1, -3, -1, 16, 3, -1, -2, 8, 1, -1, 2, 1, 1,
};
static const double coeff_C3[] = {
	3,   128, 2,   5,   128, -1,  3,  3,   64, -1,	0,   1,	 8,   -1, 1,
	4,   5,	  256, 1,   3,	 128, -3, -2,  3,  64,	1,   -3, 2,   32, 7,
	512, -10, 9,   384, 5,	 -9,  5,  192, 7,  512, -14, 7,	 512, 21, 2560,
};

/* _A1m1f() and _A2m1f(): A1 - 1 and A2 - 1. */
static double
A1m1f(double eps)
{
	double t = polyval(NA1 / 2, coeff_A1, sq(eps)) / coeff_A1[NA1 / 2 + 1];

	return (t + eps) / (1 - eps);
}

static double
A2m1f(double eps)
{
	double t = polyval(NA2 / 2, coeff_A2, sq(eps)) / coeff_A2[NA2 / 2 + 1];

	return (t - eps) / (1 + eps);
}

/* _C1f() and _C2f(): c[1..6], the same loop over either table. */
static void
C12f(const double *coeff, double eps, double c[NC1 + 1])
{
	double eps2 = sq(eps), d = eps;
	int l, m, o = 0;

	for (l = 1; l <= NC1; l++) {
		m = (NC1 - l) / 2;
		c[l] = d * polyval(m, coeff + o, eps2) / coeff[o + m + 1];
		o += m + 2;
		d *= eps;
	}
}

static double
A3f(const struct pygeod *g, double eps)
{
	return polyval(NA3 - 1, g->A3x, eps);
}

/* _C3f(): c[1..5]. */
static void
C3f(const struct pygeod *g, double eps, double c[NC3])
{
	double mult = 1;
	int l, m, o = 0;

	for (l = 1; l < NC3; l++) {
		m = NC3 - l - 1;
		mult *= eps;
		c[l] = mult * polyval(m, g->C3x + o, eps);
		o += m + 1;
	}
}

void
pygeod_init(struct pygeod *g, double a, double f)
{
	int j, k, l, m, o;

	tol2 = sqrt(TOL0);
	tolb = TOL0 * tol2;
	xthresh = 1000 * tol2;
	g->a = a;
	g->f = f;
	g->f1 = 1 - f;
	g->e2 = f * (2 - f);
	g->ep2 = g->e2 / sq(g->f1);
	g->n = f / (2 - f);
	g->b = a * g->f1;
	g->etol2 = 0.1 * tol2 /
		   sqrt(py_max(0.001, fabs(f)) * py_min(1.0, 1 - f / 2) / 2);
	for (o = 0, k = 0, j = NA3 - 1; j >= 0; j--) {
		m = NA3 - j - 1 < j ? NA3 - j - 1 : j;
		g->A3x[k++] = polyval(m, coeff_A3 + o, g->n) /
			      coeff_A3[o + m + 1];
		o += m + 2;
	}
	for (o = 0, k = 0, l = 1; l < NC3; l++) {
		for (j = NC3 - 1; j >= l; j--) {
			m = NC3 - j - 1 < j ? NC3 - j - 1 : j;
			g->C3x[k++] = polyval(m, coeff_C3 + o, g->n) /
				      coeff_C3[o + m + 1];
			o += m + 2;
		}
	}
}

/* The state _Lengths() reads: the two points on the auxiliary sphere. */
struct pygeod_ends {
	double ssig1, csig1, dn1, ssig2, csig2, dn2;
};

#define LEN_DISTANCE 1
#define LEN_REDUCED 2

/*
 * _Lengths() for the outputs the distance needs: s12b (LEN_DISTANCE) and
 * m12b (LEN_REDUCED), in units of b.
 */
static void
lengths(double eps, double sig12, const struct pygeod_ends *p, int mask,
	double *s12b, double *m12b)
{
	double C1a[NC1 + 1] = { 0 }, C2a[NC2 + 1] = { 0 };
	double A1, A2 = 0, m0x = 0, B1 = 0, B2, J12 = 0;
	int l;

	A1 = A1m1f(eps);
	C12f(coeff_C1, eps, C1a);
	if (mask & LEN_REDUCED) {
		A2 = A2m1f(eps);
		C12f(coeff_C2, eps, C2a);
		m0x = A1 - A2;
		A2 = 1 + A2;
	}
	A1 = 1 + A1;
	if (mask & LEN_DISTANCE) {
		B1 = sin_series(p->ssig2, p->csig2, C1a, NC1 + 1) -
		     sin_series(p->ssig1, p->csig1, C1a, NC1 + 1);
		*s12b = A1 * (sig12 + B1);
		if (mask & LEN_REDUCED) {
			B2 = sin_series(p->ssig2, p->csig2, C2a, NC2 + 1) -
			     sin_series(p->ssig1, p->csig1, C2a, NC2 + 1);
			J12 = m0x * sig12 + (A1 * B1 - A2 * B2);
		}
	} else if (mask & LEN_REDUCED) {
		/* Python's range(1, nC2_): C2a[6] is not folded in. */
		for (l = 1; l < NC2; l++)
			C2a[l] = A1 * C1a[l] - A2 * C2a[l];
		J12 = m0x * sig12 +
		      (sin_series(p->ssig2, p->csig2, C2a, NC2 + 1) -
		       sin_series(p->ssig1, p->csig1, C2a, NC2 + 1));
	}
	if (mask & LEN_REDUCED)
		*m12b = p->dn2 * (p->csig1 * p->ssig2) -
			p->dn1 * (p->ssig1 * p->csig2) -
			p->csig1 * p->csig2 * J12;
}

/* _Astroid(): the positive root k of Karney's eq. (55). */
static double
astroid(double x, double y)
{
	double p = sq(x), q = sq(y), r = (p + q - 1) / 6;
	double S, r2, r3, disc, u, T3, T, ang, v, uv, w;

	if (q == 0 && r <= 0)
		return 0;
	S = p * q / 4;
	r2 = sq(r);
	r3 = r * r2;
	disc = S * (S + 2 * r3);
	u = r;
	if (disc >= 0) {
		T3 = S + r3;
		T3 += T3 < 0 ? -sqrt(disc) : sqrt(disc);
		/* Math.cbrt(): copysign(pow(|x|, 1/3), x). */
		T = copysign(pow(fabs(T3), 1 / 3.0), T3);
		u += T + (T != 0 ? r2 / T : 0);
	} else {
		ang = atan2(sqrt(-disc), -(S + r3));
		u += 2 * r * cos(ang / 3);
	}
	v = sqrt(sq(u) + q);
	uv = u < 0 ? q / (v - u) : u + v;
	w = (uv - q) / (2 * v);
	return uv / (sqrt(uv + sq(w)) + w);
}

/* The reduced latitudes of both points, as _GenInverse() sets them. */
struct pygeod_lat {
	double sbet1, cbet1, dn1, sbet2, cbet2, dn2;
};

/*
 * _InverseStart(): sig12 >= 0 (with *dnm) when the short-line
 * approximation is the answer, else -1 and Newton's first alpha1.
 */
static double
inverse_start(const struct pygeod *g, const struct pygeod_lat *L, double lam12,
	      double slam12, double clam12, double *salp1, double *calp1,
	      double *dnm)
{
	double sbet1 = L->sbet1, cbet1 = L->cbet1, sbet2 = L->sbet2,
	       cbet2 = L->cbet2;
	double sbet12, cbet12, sbet12a, sbetm2, omg12, somg12, comg12;
	double ssig12, csig12, lam12x, k2, eps, lamscale, betscale, x, y, k;
	double omg12a, sig12 = -1;
	int shortline;

	*dnm = NAN;
	sbet12 = sbet2 * cbet1 - cbet2 * sbet1;
	cbet12 = cbet2 * cbet1 + sbet2 * sbet1;
	sbet12a = sbet2 * cbet1;
	sbet12a += cbet2 * sbet1;
	shortline = cbet12 >= 0 && sbet12 < 0.5 && cbet2 * lam12 < 0.5;
	if (shortline) {
		sbetm2 = sq(sbet1 + sbet2);
		sbetm2 /= sbetm2 + sq(cbet1 + cbet2);
		*dnm = sqrt(1 + g->ep2 * sbetm2);
		omg12 = lam12 / (g->f1 * *dnm);
		somg12 = sin(omg12);
		comg12 = cos(omg12);
	} else {
		somg12 = slam12;
		comg12 = clam12;
	}
	*salp1 = cbet2 * somg12;
	*calp1 = comg12 >= 0
			 ? sbet12 + cbet2 * sbet1 * sq(somg12) / (1 + comg12)
			 : sbet12a - cbet2 * sbet1 * sq(somg12) / (1 - comg12);
	ssig12 = py_hypot(*salp1, *calp1);
	csig12 = sbet1 * sbet2 + cbet1 * cbet2 * comg12;
	if (shortline && ssig12 < g->etol2) {
		/* alpha2 is not needed for the distance. */
		return atan2(ssig12, csig12);
	} else if (fabs(g->n) >= 0.1 || csig12 >= 0 ||
		   ssig12 >= 6 * fabs(g->n) * PY_PI * sq(cbet1)) {
		/* Nothing: the spherical estimate stands. */
	} else {
		/* Nearly antipodal: the astroid's estimate (f > 0 only). */
		lam12x = atan2(-slam12, -clam12);
		k2 = sq(sbet1) * g->ep2;
		eps = k2 / (2 * (1 + sqrt(1 + k2)) + k2);
		lamscale = g->f * cbet1 * A3f(g, eps) * PY_PI;
		betscale = lamscale * cbet1;
		x = lam12x / lamscale;
		y = sbet12a / betscale;
		if (y > -TOL1 && x > -1 - xthresh) {
			*salp1 = py_min(1.0, -x);
			*calp1 = -sqrt(1 - sq(*salp1));
		} else {
			k = astroid(x, y);
			omg12a = lamscale * (-x * k / (1 + k));
			somg12 = sin(omg12a);
			comg12 = -cos(omg12a);
			*salp1 = cbet2 * somg12;
			*calp1 = sbet12a -
				 cbet2 * sbet1 * sq(somg12) / (1 - comg12);
		}
	}
	if (!(*salp1 <= 0)) {
		norm2(salp1, calp1);
	} else {
		*salp1 = 1;
		*calp1 = 0;
	}
	return sig12;
}

/*
 * _Lambda12(): the longitude error v for alpha1 and, when diffp, its
 * derivative *dv; fills *p, *sig12 and *eps for the final _Lengths().
 */
static double
lambda12(const struct pygeod *g, const struct pygeod_lat *L, double salp1,
	 double calp1, double slam120, double clam120, int diffp,
	 struct pygeod_ends *p, double *sig12, double *eps, double *dv)
{
	double sbet1 = L->sbet1, cbet1 = L->cbet1, sbet2 = L->sbet2,
	       cbet2 = L->cbet2;
	double salp0, calp0, somg1, comg1, calp2, somg2, comg2;
	double somg12, comg12, eta, k2, B312, domg12, dlam12, m12b = 0;
	double C3a[NC3] = { 0 };

	if (sbet1 == 0 && calp1 == 0)
		calp1 = -TINY;
	salp0 = salp1 * cbet1;
	calp0 = py_hypot(calp1, salp1 * sbet1);
	p->ssig1 = sbet1;
	somg1 = salp0 * sbet1;
	p->csig1 = comg1 = calp1 * cbet1;
	norm2(&p->ssig1, &p->csig1);
	/* salp2 = salp0 / cbet2 is not needed for the distance. */
	if (cbet2 != cbet1 || fabs(sbet2) != -sbet1)
		calp2 = sqrt(sq(calp1 * cbet1) +
			     (cbet1 < -sbet1
				      ? (cbet2 - cbet1) * (cbet1 + cbet2)
				      : (sbet1 - sbet2) * (sbet1 + sbet2))) /
			cbet2;
	else
		calp2 = fabs(calp1);
	p->ssig2 = sbet2;
	somg2 = salp0 * sbet2;
	p->csig2 = comg2 = calp2 * cbet2;
	norm2(&p->ssig2, &p->csig2);
	p->dn1 = L->dn1;
	p->dn2 = L->dn2;
	*sig12 = atan2(py_max(0.0, p->csig1 * p->ssig2 - p->ssig1 * p->csig2) +
			       0.0,
		       p->csig1 * p->csig2 + p->ssig1 * p->ssig2);
	somg12 = py_max(0.0, comg1 * somg2 - somg1 * comg2) + 0.0;
	comg12 = comg1 * comg2 + somg1 * somg2;
	eta = atan2(somg12 * clam120 - comg12 * slam120,
		    comg12 * clam120 + somg12 * slam120);
	k2 = sq(calp0) * g->ep2;
	*eps = k2 / (2 * (1 + sqrt(1 + k2)) + k2);
	C3f(g, *eps, C3a);
	B312 = sin_series(p->ssig2, p->csig2, C3a, NC3) -
	       sin_series(p->ssig1, p->csig1, C3a, NC3);
	domg12 = -g->f * A3f(g, *eps) * salp0 * (*sig12 + B312);
	if (diffp) {
		if (calp2 == 0) {
			dlam12 = -2 * g->f1 * L->dn1 / sbet1;
		} else {
			lengths(*eps, *sig12, p, LEN_REDUCED, NULL, &m12b);
			dlam12 = m12b;
			dlam12 *= g->f1 / (calp2 * cbet2);
		}
	} else {
		dlam12 = NAN;
	}
	*dv = dlam12;
	return eta + domg12;
}

double
pygeod_s12(const struct pygeod *g, double lat1, double lon1, double lat2,
	   double lon2)
{
	struct pygeod_lat L;
	struct pygeod_ends p;
	double lon12, lon12s, lonsign, lam12, slam12, clam12, latsign, t;
	double calp1, salp1, sig12, s12x = NAN, m12x = 0, dnm, eps = 0;
	double salp1a, calp1a, salp1b, calp1b, v, dv, dalp1, sdalp1, cdalp1;
	double nsalp1;
	int meridian, swapp, numit, tripn, tripb;

	lon12 = ang_diff(lon1, lon2, &lon12s);
	lonsign = copysign(1, lon12);
	lon12 = lonsign * lon12;
	lon12s = lonsign * lon12s;
	lam12 = lon12 * deg_to_rad;
	sincosde(lon12, lon12s, &slam12, &clam12);
	lon12s = (180 - lon12) - lon12s;
	lat1 = ang_round(fabs(lat1) > 90 ? NAN : lat1);
	lat2 = ang_round(fabs(lat2) > 90 ? NAN : lat2);
	swapp = fabs(lat1) < fabs(lat2) || isnan(lat2) ? -1 : 1;
	if (swapp < 0) {
		t = lat1;
		lat1 = lat2;
		lat2 = t;
	}
	latsign = copysign(1, -lat1);
	lat1 *= latsign;
	lat2 *= latsign;
	sincosd(lat1, &L.sbet1, &L.cbet1);
	L.sbet1 *= g->f1;
	norm2(&L.sbet1, &L.cbet1);
	L.cbet1 = py_max(TINY, L.cbet1);
	sincosd(lat2, &L.sbet2, &L.cbet2);
	L.sbet2 *= g->f1;
	norm2(&L.sbet2, &L.cbet2);
	L.cbet2 = py_max(TINY, L.cbet2);
	if (L.cbet1 < -L.sbet1) {
		if (L.cbet2 == L.cbet1)
			L.sbet2 = copysign(L.sbet1, L.sbet2);
	} else if (fabs(L.sbet2) == -L.sbet1) {
		L.cbet2 = L.cbet1;
	}
	L.dn1 = sqrt(1 + g->ep2 * sq(L.sbet1));
	L.dn2 = sqrt(1 + g->ep2 * sq(L.sbet2));

	meridian = lat1 == -90 || slam12 == 0;
	if (meridian) {
		/* Head to the target longitude, arrive heading north. */
		calp1 = clam12;
		p.ssig1 = L.sbet1;
		p.csig1 = calp1 * L.cbet1;
		p.ssig2 = L.sbet2;
		p.csig2 = 1.0 * L.cbet2;
		p.dn1 = L.dn1;
		p.dn2 = L.dn2;
		sig12 = atan2(py_max(0.0,
				     p.csig1 * p.ssig2 - p.ssig1 * p.csig2) +
				      0.0,
			      p.csig1 * p.csig2 + p.ssig1 * p.ssig2);
		lengths(g->n, sig12, &p, LEN_DISTANCE | LEN_REDUCED, &s12x,
			&m12x);
		if (sig12 < 1 || m12x >= 0) {
			if (sig12 < 3 * TINY ||
			    (sig12 < TOL0 && (s12x < 0 || m12x < 0)))
				sig12 = m12x = s12x = 0.0;
			s12x *= g->b;
		} else {
			meridian = 0;
		}
	}
	if (!meridian && L.sbet1 == 0 && (g->f <= 0 || lon12s >= g->f * 180)) {
		/* Along the equator. */
		s12x = g->a * lam12;
	} else if (!meridian) {
		sig12 = inverse_start(g, &L, lam12, slam12, clam12, &salp1,
				      &calp1, &dnm);
		if (sig12 >= 0) {
			s12x = sig12 * g->b * dnm;
		} else {
			/* Newton's method on alpha1, bracketed by bisection. */
			numit = 0;
			tripn = tripb = 0;
			salp1a = TINY;
			calp1a = 1.0;
			salp1b = TINY;
			calp1b = -1.0;
			while (numit < MAXIT2) {
				v = lambda12(g, &L, salp1, calp1, slam12,
					     clam12, numit < MAXIT1, &p, &sig12,
					     &eps, &dv);
				if (tripb ||
				    !(fabs(v) >= (tripn ? 8 : 1) * TOL0))
					break;
				if (v > 0 &&
				    (numit > MAXIT1 ||
				     calp1 / salp1 > calp1b / salp1b)) {
					salp1b = salp1;
					calp1b = calp1;
				} else if (v < 0 &&
					   (numit > MAXIT1 ||
					    calp1 / salp1 < calp1a / salp1a)) {
					salp1a = salp1;
					calp1a = calp1;
				}
				numit++;
				if (numit < MAXIT1 && dv > 0) {
					dalp1 = -v / dv;
					sdalp1 = sin(dalp1);
					cdalp1 = cos(dalp1);
					nsalp1 = salp1 * cdalp1 +
						 calp1 * sdalp1;
					if (nsalp1 > 0 && fabs(dalp1) < PY_PI) {
						calp1 = calp1 * cdalp1 -
							salp1 * sdalp1;
						salp1 = nsalp1;
						norm2(&salp1, &calp1);
						tripn = fabs(v) <= 16 * TOL0;
						continue;
					}
				}
				salp1 = (salp1a + salp1b) / 2;
				calp1 = (calp1a + calp1b) / 2;
				norm2(&salp1, &calp1);
				tripn = 0;
				tripb = fabs(salp1a - salp1) +
							(calp1a - calp1) <
						tolb ||
					fabs(salp1 - salp1b) +
							(calp1 - calp1b) <
						tolb;
			}
			lengths(eps, sig12, &p, LEN_DISTANCE, &s12x, NULL);
			s12x *= g->b;
		}
	}
	return 0.0 + s12x; /* -0 becomes 0 */
}
