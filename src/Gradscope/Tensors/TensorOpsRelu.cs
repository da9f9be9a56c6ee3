using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// The ReLU backward rule, accumulated: gx[i] += gy[i] where x[i] &gt; 0, gx[i] unchanged elsewhere (the derivative
    /// at exactly 0 is 0, and a NaN x passes nothing).
    /// </summary>
    /// <remarks>
    /// NOTE: a select, not gx + (x &gt; 0) gy: adding +0 would turn a -0 in gx into +0, and the result must equal the
    /// scalar rule bit for bit. Vectorized because the scalar branch mispredicts on about half of the elements of a
    /// trained net (their signs are random), which made it as slow as the layer's product at width 64.
    /// </remarks>
    /// <exception cref="ArgumentException">x, gy and gx differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(x.Length, gy.Length, gx.Length, "ReluBackward");
        if (gx.Length != x.Length) throw new ArgumentException($"ReluBackward: gradient has {gx.Length} elements, input {x.Length}.");
        ref T px = ref MemoryMarshal.GetReference(x), pgy = ref MemoryMarshal.GetReference(gy), pgx = ref MemoryMarshal.GetReference(gx);
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var vx = Vector256.LoadUnsafe(ref px, (nuint)i);
                var vg = Vector256.LoadUnsafe(ref pgx, (nuint)i);
                var sum = vg + Vector256.LoadUnsafe(ref pgy, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(vx, Vector256<T>.Zero), sum, vg).StoreUnsafe(ref pgx, (nuint)i);
            }
        }
        for (; i < n; i++)
            if (Unsafe.Add(ref px, i) > T.Zero) Unsafe.Add(ref pgx, i) += Unsafe.Add(ref pgy, i);
    }

    /// <summary>
    /// The backward rule of a fixed activation mask (y = mask x): gx[i] += mask[i] gy[i], the product rounded before
    /// the sum (no fused multiply-add), as the scalar loop does.
    /// </summary>
    /// <exception cref="ArgumentException">mask, gy and gx differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaskBackward<T>(ReadOnlySpan<T> mask, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(mask.Length, gy.Length, gx.Length, "MaskBackward");
        if (gx.Length != mask.Length) throw new ArgumentException($"MaskBackward: gradient has {gx.Length} elements, mask {mask.Length}.");
        ref T pm = ref MemoryMarshal.GetReference(mask), pgy = ref MemoryMarshal.GetReference(gy), pgx = ref MemoryMarshal.GetReference(gx);
        int n = mask.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var prod = Vector256.LoadUnsafe(ref pm, (nuint)i) * Vector256.LoadUnsafe(ref pgy, (nuint)i);
                (Vector256.LoadUnsafe(ref pgx, (nuint)i) + prod).StoreUnsafe(ref pgx, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref pgx, i) += Unsafe.Add(ref pm, i) * Unsafe.Add(ref pgy, i);
    }
}
