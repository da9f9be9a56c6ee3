using System.Runtime.Intrinsics;
using Gradscope.Measures.PacBayes;

namespace Gradscope.Tests.Measures.PacBayes;

public class FastMath512Tests
{
    private static float[] Lanes(Vector512<float> v) { var a = new float[16]; v.CopyTo(a); return a; }

    [Fact]
    public void ExpLogAndSinCosMatchDoublePrecisionWithinAFewUlp()
    {
        var rng = new Random(1);
        double worstExp = 0, worstLog = 0, worstSin = 0;
        for (int rep = 0; rep < 20000; rep++)
        {
            var x = new float[16]; var u = new float[16]; var a = new float[16];
            for (int k = 0; k < 16; k++)
            {
                x[k] = (float)(rng.NextDouble() * 170 - 86);                  // exp's range
                u[k] = (float)Math.Exp(-rng.NextDouble() * 17.3);             // (2^-25, 1]: Box-Muller's uniforms
                a[k] = (float)rng.NextDouble();                               // [0, 1): the angle 2 pi a
            }
            if (rep == 0) { a[0] = 0; a[1] = 0.25f; a[2] = 0.5f; a[3] = 0.75f; a[4] = 0.999999f; u[0] = 1; u[1] = 0.5f; x[0] = 0; }
            var e = Lanes(FastMath512.Exp(Vector512.Create(x)));
            var l = Lanes(FastMath512.Log(Vector512.Create(u)));
            var (s, c) = FastMath512.SinCos2Pi(Vector512.Create(a));
            var sl = Lanes(s); var cl = Lanes(c);
            for (int k = 0; k < 16; k++)
            {
                worstExp = Math.Max(worstExp, Math.Abs(e[k] / Math.Exp(x[k]) - 1));
                worstLog = Math.Max(worstLog, Math.Abs(l[k] - Math.Log(u[k])) / Math.Max(1e-30, Math.Abs(Math.Log(u[k]))) * (u[k] == 1 ? 0 : 1) + (u[k] == 1 ? Math.Abs(l[k]) : 0));
                double angle = 2 * Math.PI * a[k];
                worstSin = Math.Max(worstSin, Math.Max(Math.Abs(sl[k] - Math.Sin(angle)), Math.Abs(cl[k] - Math.Cos(angle))));
            }
        }
        Assert.True(worstExp < 4e-7, $"exp relative error {worstExp}");
        Assert.True(worstLog < 4e-7, $"log relative error {worstLog}");
        Assert.True(worstSin < 4e-7, $"sin/cos absolute error {worstSin}");
    }
}
