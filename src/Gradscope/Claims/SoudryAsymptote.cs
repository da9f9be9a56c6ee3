namespace Gradscope.Claims;

using Gradscope.Data;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// The asymptote of GD on an exponentially-tailed loss of a linear model on separable data (Soudry et al., JMLR 2018,
/// Theorem 3): w(t) = w_hat log t + w_tilde + o(1) when the support vectors span the data, where w_hat is the hard-margin
/// SVM (no intercept), w_hat = sum_{n in S} alpha_n z_n with z_n = y_n x_n, and w_tilde is the unique solution in the
/// span of the support vectors of eta exp(-z_n^T w_tilde) = alpha_n for n in S (eta the step of the SUM loss).
/// Also the two numbers that set how fast the o(1) term decays: the relative gap delta of the non-support points
/// (their exp(-z^T w) falls like t^(-(1+delta)), so their transient like t^(-delta)), and the smallest eigenvalue of
/// A = sum_S alpha_n z_n z_n^T on the support span (linearized, r = w - w_hat log t - w_tilde obeys dr/d(log t) = -A r,
/// so the support-span transient decays like t^(-lambda_min(A))).
/// </summary>
public sealed class SoudryAsymptote
{
    private SoudryAsymptote(double[] wHat, double[] wTilde, int[] support, double gap, double lambdaMin, int rankDeficit)
    {
        WHat = wHat; WTilde = wTilde; Support = support; Gap = gap; LambdaMin = lambdaMin; RankDeficit = rankDeficit;
    }

    /// <summary>The SVM solution w_hat (functional margin 1 at the support vectors).</summary>
    public double[] WHat { get; }
    /// <summary>w_tilde: eta exp(-z_n^T w_tilde) = alpha_n on the support vectors, in their span.</summary>
    public double[] WTilde { get; }
    /// <summary>Indices of the support vectors (alpha_n &gt; 0).</summary>
    public int[] Support { get; }
    /// <summary>delta = min over non-support points of z^T w_hat - 1 (+infinity when every point is a support vector).</summary>
    public double Gap { get; }
    /// <summary>lambda_min of sum_S alpha_n z_n z_n^T restricted to the span of the support vectors.</summary>
    public double LambdaMin { get; }
    /// <summary>rank(X) - rank(X_S): 0 when the support vectors span the data (then w(t) - w_hat log t -> w_tilde).</summary>
    public int RankDeficit { get; }

    /// <summary>
    /// The asymptote from an SVM solution: <paramref name="svm"/> solved on <paramref name="data"/>, <paramref name="sumStep"/> the
    /// step size of GD on the SUM of the per-sample losses (for Gradscope's mean loss with step eta: eta / n).
    /// Support vectors are the alpha_n above 1e-9 of the largest.
    /// </summary>
    public static SoudryAsymptote Of(Dataset data, HardMarginSvmResult svm, double sumStep)
    {
        if (!(sumStep > 0)) throw new ArgumentException($"SoudryAsymptote: the step must be positive, got {sumStep}.");
        int n = data.N, d = data.D;
        var z = Matrix<double>.Build.Dense(n, d, (i, j) => (data.Y[i] == 1 ? 1.0 : -1.0) * data.X[i * d + j]);
        var w = Vector<double>.Build.DenseOfArray(svm.W);
        double amax = svm.Alpha.Max();
        var support = Enumerable.Range(0, n).Where(i => svm.Alpha[i] > 1e-9 * amax).ToArray();
        var margins = z * w;
        double gap = double.PositiveInfinity;
        for (int i = 0; i < n; i++) if (Array.IndexOf(support, i) < 0) gap = Math.Min(gap, margins[i] - 1);
        var zs = Matrix<double>.Build.Dense(support.Length, d, (k, j) => z[support[k], j]);
        // an orthonormal basis B of the support span (right singular vectors above the pinv tolerance of THEORY.md section 6)
        var svd = zs.Svd(computeVectors: true);
        double s1 = svd.S.Count > 0 ? svd.S[0] : 0;
        int rankS = svd.S.Count(s => s > 1e-10 * s1);
        var sx = z.Svd(computeVectors: false).S;
        int rankX = sx.Count(v => v > 1e-10 * sx[0]);
        var basis = svd.VT.SubMatrix(0, rankS, 0, d).Transpose(); // d x r
        var a = Matrix<double>.Build.Dense(d, d);
        foreach (int i in support) a += svm.Alpha[i] * z.Row(i).OuterProduct(z.Row(i));
        var restricted = basis.Transpose() * a * basis;
        double lambdaMin = restricted.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues.Min(c => c.Real);
        // z_n^T w_tilde = log(eta / alpha_n) on S; the minimum-norm solution lies in the support span
        var rhs = Vector<double>.Build.Dense(support.Length, k => Math.Log(sumStep / svm.Alpha[support[k]]));
        var wTilde = zs.PseudoInverse() * rhs;
        return new SoudryAsymptote(svm.W, wTilde.ToArray(), support, gap, lambdaMin, rankX - rankS);
    }

    /// <summary>The asymptote w_hat log t + w_tilde at step t.</summary>
    public double[] At(double t)
    {
        double l = Math.Log(t);
        var r = new double[WHat.Length];
        for (int j = 0; j < r.Length; j++) r[j] = WHat[j] * l + WTilde[j];
        return r;
    }

    /// <summary>||w - (w_hat log t + w_tilde)||.</summary>
    public double Residual(ReadOnlySpan<double> w, double t)
    {
        var a = At(t);
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += (w[j] - a[j]) * (w[j] - a[j]);
        return Math.Sqrt(s);
    }

    /// <summary>The closed-form angle between w_hat log t + w_tilde and w_hat.</summary>
    public double Angle(double t) => ClaimMath.Angle(At(t), WHat);
}
