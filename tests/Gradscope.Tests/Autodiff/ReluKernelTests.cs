using System.Numerics;
using Gradscope.Autodiff;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

/// <summary>The vectorized ReLU and mask backward kernels against the scalar rules, bit for bit.</summary>
public class ReluKernelTests
{
    // values that probe the rule: both zeros, tiny and huge magnitudes, NaN and infinities
    private static double Draw(Rng rng) => (rng.NextUInt64() % 10) switch
    {
        0 => 0.0,
        1 => -0.0,
        2 => double.NaN,
        3 => (rng.NextUInt64() & 1) == 0 ? double.PositiveInfinity : double.NegativeInfinity,
        4 => rng.NextNormal() * 1e-300,
        _ => rng.NextNormal(),
    };

    private static void Check<T>(int n, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var x = new T[n]; var gy = new T[n]; var gx = new T[n]; var mask = new T[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = T.CreateChecked(Draw(rng)); gy[i] = T.CreateChecked(Draw(rng)); gx[i] = T.CreateChecked(Draw(rng));
            mask[i] = T.CreateChecked((rng.NextUInt64() % 3) switch { 0 => 0.0, 1 => 1.0, _ => rng.NextNormal() });
        }
        var expected = (T[])gx.Clone();
        for (int i = 0; i < n; i++) if (x[i] > T.Zero) expected[i] += gy[i];
        var got = (T[])gx.Clone();
        TensorOps.ReluBackward<T>(x, gy, got);
        for (int i = 0; i < n; i++)
            Assert.True(T.IsNaN(expected[i]) ? T.IsNaN(got[i]) : BitEqual(expected[i], got[i]), $"ReLU n={n} i={i}: x={x[i]} gy={gy[i]} gx={gx[i]}: {got[i]} != {expected[i]}");

        var expectedMask = (T[])gx.Clone();
        for (int i = 0; i < n; i++) expectedMask[i] += mask[i] * gy[i];
        var gotMask = (T[])gx.Clone();
        TensorOps.MaskBackward<T>(mask, gy, gotMask);
        for (int i = 0; i < n; i++)
            Assert.True(T.IsNaN(expectedMask[i]) ? T.IsNaN(gotMask[i]) : BitEqual(expectedMask[i], gotMask[i]), $"mask n={n} i={i}: {gotMask[i]} != {expectedMask[i]}");
    }

    private static bool BitEqual<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> =>
        a.Equals(b) && T.IsNegative(a) == T.IsNegative(b);

    [Fact]
    public void KernelsEqualTheScalarRuleForEveryLengthAndSpecialValue()
    {
        for (int n = 0; n <= 70; n++)
        {
            Check<float>(n, (ulong)n + 1);
            Check<double>(n, (ulong)n + 101);
        }
        Check<float>(4099, 7);
        Check<double>(4099, 8);
    }

    [Fact]
    public void KeepsANegativeZeroGradientWhereTheUnitIsOff()
    {
        float[] x = [-1f, 0f, 2f], gy = [0f, 0f, 0f], gx = [-0f, -0f, -0f];
        TensorOps.ReluBackward<float>(x, gy, gx);
        Assert.True(float.IsNegative(gx[0]) && float.IsNegative(gx[1]));   // untouched
        Assert.False(float.IsNegative(gx[2]));                              // -0 + 0 = +0, as the scalar rule gives
    }

    [Fact]
    public void RejectsSpansOfDifferentLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => TensorOps.ReluBackward<float>(new float[3], new float[4], new float[3]));
        Assert.Contains("ReluBackward", e.Message);
        Assert.Throws<ArgumentException>(() => TensorOps.ReluBackward<float>(new float[3], new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => TensorOps.MaskBackward<double>(new double[3], new double[3], new double[2]));
    }

    [Fact]
    public void ReluNodeGradientMatchesFiniteDifferencesOnALongInput()
    {
        // long enough that the vector loop runs (the 3-element CoreOpsTests case only reaches the scalar tail)
        var rng = new Rng(5);
        var x = GradCheck.Random(rng, 0.05, 37);   // entries at least 0.05 away from the kink
        double err = GradCheck.MaxRelativeError((t, l) => t.Relu(l[0]), [x]);
        Assert.True(err < 1e-6, $"max relative error {err}");
    }
}
