using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures.PacBayes;

/// <summary>
/// float32 exp, ln and sin/cos of 2 pi u on sixteen lanes with the Cephes single-precision polynomials
/// (Moshier, "Methods and programs for mathematical functions", 1989: expf, logf, sinf, cosf), a few ulp
/// accurate. The runtime's Vector512.Exp/Log/SinCos for float evaluate in double and cost about four
/// times as much; these run the posterior step's fused pass (<see cref="PosteriorSteps"/>), whose results
/// steer the optimization only: the final bound's terms are recomputed in double.
/// </summary>
internal static class FastMath512
{
    /// <summary>e^x for x in [-87, 88] (clamped there): x = n ln 2 + r, |r| &lt;= ln 2 / 2, e^r by a degree-7 polynomial, times 2^n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-87f)), Vector512.Create(88f));
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));
        // ln 2 split in two (Cody-Waite) so that x - n ln 2 is exact to float precision
        var r = x - n * Vector512.Create(0.693359375f) - n * Vector512.Create(-2.12194440e-4f);
        var z = r * r;
        var p = Vector512.Create(1.9875691500E-4f);
        p = p * r + Vector512.Create(1.3981999507E-3f);
        p = p * r + Vector512.Create(8.3334519073E-3f);
        p = p * r + Vector512.Create(4.1665795894E-2f);
        p = p * r + Vector512.Create(1.6666665459E-1f);
        p = p * r + Vector512.Create(5.0000001201E-1f);
        p = p * z + r + Vector512<float>.One;
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>ln x for positive normal x: x = 2^e m with m in [sqrt(1/2), sqrt(2)), ln m by a degree-9 polynomial in m - 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        var bits = x.AsInt32();
        var e = Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126));
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle();   // in [0.5, 1)
        var small = Vector512.LessThan(m, Vector512.Create(0.707106781186547524f));
        e -= Vector512.ConditionalSelect(small, Vector512<float>.One, Vector512<float>.Zero);
        m = Vector512.ConditionalSelect(small, m + m, m) - Vector512<float>.One;
        var z = m * m;
        var y = Vector512.Create(7.0376836292E-2f);
        y = y * m + Vector512.Create(-1.1514610310E-1f);
        y = y * m + Vector512.Create(1.1676998740E-1f);
        y = y * m + Vector512.Create(-1.2420140846E-1f);
        y = y * m + Vector512.Create(1.4249322787E-1f);
        y = y * m + Vector512.Create(-1.6668057665E-1f);
        y = y * m + Vector512.Create(2.0000714765E-1f);
        y = y * m + Vector512.Create(-2.4999993993E-1f);
        y = y * m + Vector512.Create(3.3333331174E-1f);
        y = y * m * z;
        y += e * Vector512.Create(-2.12194440e-4f);
        y -= Vector512.Create(0.5f) * z;
        return m + y + e * Vector512.Create(0.693359375f);
    }

    /// <summary>
    /// (sin, cos) of 2 pi u for u in [0, 1): u = (q + f) / 4 with quadrant q and f in [0, 1); the angle
    /// pi/4 + phi, phi = (f - 1/2) pi/2 in [-pi/4, pi/4), from sin phi and cos phi, then turned by q quarter turns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Sin, Vector512<float> Cos) SinCos2Pi(Vector512<float> u)
    {
        var t = u * Vector512.Create(4f);
        var qf = Vector512.Floor(t);
        var q = Vector512.ConvertToInt32(qf) & Vector512.Create(3);
        var phi = (t - qf - Vector512.Create(0.5f)) * Vector512.Create(MathF.PI / 2);
        var z = phi * phi;
        var sp = Vector512.Create(-1.9515295891E-4f);
        sp = sp * z + Vector512.Create(8.3321608736E-3f);
        sp = sp * z + Vector512.Create(-1.6666654611E-1f);
        sp = sp * z * phi + phi;
        var cp = Vector512.Create(2.443315711809948E-5f);
        cp = cp * z + Vector512.Create(-1.388731625493765E-3f);
        cp = cp * z + Vector512.Create(4.166664568298827E-2f);
        cp = cp * z * z - Vector512.Create(0.5f) * z + Vector512<float>.One;
        var h = Vector512.Create(0.70710678118654752f);
        var sa = (sp + cp) * h;   // sin(pi/4 + phi)
        var ca = (cp - sp) * h;   // cos(pi/4 + phi)
        // quadrant q: (sin, cos) = (sa, ca), (ca, -sa), (-sa, -ca), (-ca, sa)
        var odd = Vector512.Equals(q & Vector512.Create(1), Vector512.Create(1)).AsSingle();
        var sin = Vector512.ConditionalSelect(odd, ca, sa);
        var cos = Vector512.ConditionalSelect(odd, sa, ca);
        var negSin = Vector512.GreaterThanOrEqual(q, Vector512.Create(2)).AsSingle();
        var negCos = Vector512.Equals(q - Vector512.Create(1), Vector512<int>.Zero).AsSingle() | Vector512.Equals(q, Vector512.Create(2)).AsSingle();
        var signBit = Vector512.Create(-0f);
        return (sin ^ (negSin & signBit), cos ^ (negCos & signBit));
    }
}
