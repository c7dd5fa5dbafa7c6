package io.kvwatch.testing;

/**
 * A Zipf distribution over 1..n (rank k with weight 1/k^s): a few hot users and objects, a long tail. Sampled by
 * inverse transform: a binary search of a uniform number in the precomputed cumulative weights.
 */
public final class Zipf {

    private final double[] cumulative;

    public Zipf(int n, double exponent) {
        cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, exponent);
            cumulative[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cumulative[i] /= sum;
        }
    }

    /** The rank, 1..n, for a uniform number {@code u} in [0, 1). */
    public int sample(double u) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo + 1;
    }
}
