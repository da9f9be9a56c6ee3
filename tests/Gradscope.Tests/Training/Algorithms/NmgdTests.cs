using Gradscope.Losses;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Training.Algorithms;

public class NmgdTests
{
    // Underdetermined least squares: n = 4 samples, d = 10 features, square loss on a linear model.
    private const int N = 4, D = 10;

    private static (Gradscope.Data.Dataset Data, double[] W0, Vector<double> Pinv, Vector<double> GdLimit) Problem()
    {
        var data = Fixtures.Random(N, D, 31);
        var rng = new Gradscope.Tensors.Rng(32);
        var w0 = Enumerable.Range(0, D).Select(_ => rng.NextNormal()).ToArray();
        var X = Matrix<double>.Build.Dense(N, D, (i, j) => data.X[i * D + j]);
        var y = Vector<double>.Build.Dense(N, i => data.Y[i] == 1 ? 1.0 : -1.0);
        var svd = X.Svd(true);                     // X^+ = V S^+ U^T, independently of the iteration
        var sInv = Matrix<double>.Build.Dense(D, N);
        for (int k = 0; k < svd.S.Count; k++) sInv[k, k] = 1 / svd.S[k];
        var pinvX = svd.VT.Transpose() * sInv * svd.U.Transpose();
        var pinv = pinvX * y;
        // GD never moves the component of w0 in the null space of X: limit = (I - X^+ X) w0 + X^+ y.
        var v0 = Vector<double>.Build.DenseOfArray(w0);
        var gdLimit = v0 - pinvX * (X * v0) + pinv;
        return (data, w0, pinv, gdLimit);
    }

    private static double Distance(double[] w, Vector<double> v) => Math.Sqrt(w.Select((x, i) => (x - v[i]) * (x - v[i])).Sum());

    [Fact]
    public void NmgdConvergesToThePseudoInverseSolutionAndGdToAnotherInterpolant()
    {
        var (data, w0, pinv, gdLimit) = Problem();
        Assert.True((pinv - gdLimit).L2Norm() > 0.5, "the two limits should differ");

        var mGd = Fixtures.Linear(D, w0);
        Fixtures.Run(new Gd<double>(), new Objective<double>(mGd, data, LossKind.Square), 3000, eta: 0.05);
        Assert.True(Distance(mGd.Flat, gdLimit) < 1e-8, $"GD: distance to (I - X^+X) w0 + X^+ y is {Distance(mGd.Flat, gdLimit):e2}");

        var mN = Fixtures.Linear(D, w0);
        var nmgd = new Nmgd<double>();
        Fixtures.Run(nmgd, new Objective<double>(mN, data, LossKind.Square), 40000, eta: 0.05);
        double dN = Distance(mN.Flat, pinv);
        Console.WriteLine($"nmgd: |w - X^+ y| = {dN:e2}, |w - GD limit| = {Distance(mN.Flat, gdLimit):F3}, GD: |w - GD limit| = {Distance(mGd.Flat, gdLimit):e2}");
        // The null-space component shrinks like prod (1 - 1/(t+2)) = 1/(t+1); the row-space bias like a_t/eta.
        Assert.True(dN < 2e-3 * pinv.L2Norm(), $"NMGD: distance to X^+ y is {dN:e2} (|X^+ y| = {pinv.L2Norm():F3})");
        Assert.True(Distance(mN.Flat, gdLimit) > 0.4, "NMGD should not converge to GD's interpolant");
        Assert.Equal(40000, nmgd.Iteration);
    }

    [Fact]
    public void HalpernWithAnchorUConvergesToTheInterpolantNearestU()
    {
        // The fixed point of T nearest u: (I - X^+X) u + X^+ y, i.e. GD's limit from u.
        var (data, _, pinv, _) = Problem();
        var rng = new Gradscope.Tensors.Rng(33);
        var u = Enumerable.Range(0, D).Select(_ => rng.NextNormal()).ToArray();
        var X = Matrix<double>.Build.Dense(N, D, (i, j) => data.X[i * D + j]);
        var uv = Vector<double>.Build.DenseOfArray(u);
        var target = uv - X.PseudoInverse() * (X * uv) + pinv;
        var m = Fixtures.Linear(D);
        Fixtures.Run(new Halpern<double>(u), new Objective<double>(m, data, LossKind.Square), 40000, eta: 0.05);
        Assert.True(Distance(m.Flat, target) < 2e-3 * target.L2Norm(), $"distance {Distance(m.Flat, target):e2}");
    }

    [Fact]
    public void FirstStepIsTheHalpernFormula()
    {
        var (data, w0, _, _) = Problem();
        var m = Fixtures.Linear(D, w0);
        var obj = new Objective<double>(m, data, LossKind.Square);
        obj.Evaluate(default);
        var grad = (double[])m.FlatGrad.Clone();
        var alg = new Nmgd<double>();
        Fixtures.Run(alg, obj, 1, eta: 0.1);
        for (int j = 0; j < D; j++)   // a_0 = 1/2, u = 0
            Assert.Equal(0.5 * (w0[j] - 0.1 * grad[j]), m.Flat[j], 14);
    }

    [Fact]
    public void RejectsBadScheduleAndAnchor()
    {
        Assert.Throws<ArgumentException>(() => new Nmgd<double>(schedule: new HalpernSchedule(Power: 1.5)));
        var (data, _, _, _) = Problem();
        var e = Assert.Throws<ArgumentException>(() => new Halpern<double>([1.0, 2.0]).Initialize(new Objective<double>(Fixtures.Linear(D), data, LossKind.Square)));
        Assert.Contains("2 values", e.Message);
    }
}
