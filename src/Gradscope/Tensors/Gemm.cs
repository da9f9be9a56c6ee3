using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Gradscope.Tensors;

/// <summary>
/// General matrix multiply C = alpha op(A) op(B) + beta C on row-major storage, where
/// op(A) is m x k and op(B) is k x n; lda, ldb, ldc are row strides (elements).
/// </summary>
/// <remarks>
/// Large products run a BLIS-style blocked algorithm (GemmBlocked.cs): op(B) is packed into
/// KC x NC panels of NR-wide micro-panels, op(A) into MR x KC micro-panels (both transposes are
/// absorbed by the packing), and a register-tiled micro-kernel (AVX-512, AVX2/FMA or scalar,
/// chosen at run time) accumulates each MR x NR tile of C. With AVX-512, products up to
/// <see cref="InPlaceMacs"/> multiply-adds skip packing op(A) and mask their edge tiles (GemmInPlace.cs), and those of
/// at most <see cref="GemmDot.MaxRows"/> rows with op(B) = B^T pack nothing (dot products, GemmDot.cs);
/// matrix-vector products (and, without AVX-512, tiny ones) take a direct loop (GemmDirect.cs). Every element of C is computed by one thread in a fixed k order
/// that depends only on the shape, so results are bit-identical for any thread count.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// C = alpha op(A) op(B) + beta C, with op(X) = X or X^T. beta = 0 ignores C's previous
    /// contents (NaN included); alpha = 0 or k = 0 reduces to C = beta C.
    /// Throws ArgumentException when a dimension is negative, a leading dimension is smaller than
    /// its row length, or a span is too short for the stated shape (the message names the operand).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: dimensions must be >= 0, got m={m}, n={n}, k={k}.");
        // stored A is (k, m) when transposed, else (m, k); stored B is (n, k) or (k, n)
        CheckOperand("a", "lda", a.Length, lda, transA ? k : m, transA ? m : k, transA);
        CheckOperand("b", "ldb", b.Length, ldb, transB ? n : k, transB ? k : n, transB);
        CheckOperand("c", "ldc", c.Length, ldc, m, n, false);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero) { Scale(m, n, beta, c, ldc); return; }

        if (typeof(T) == typeof(float))
            Dispatch(transA, transB, m, n, k, float.CreateTruncating(alpha), MemoryMarshal.Cast<T, float>(a), lda,
                MemoryMarshal.Cast<T, float>(b), ldb, float.CreateTruncating(beta), MemoryMarshal.Cast<T, float>(c), ldc);
        else if (typeof(T) == typeof(double))
            Dispatch(transA, transB, m, n, k, double.CreateTruncating(alpha), MemoryMarshal.Cast<T, double>(a), lda,
                MemoryMarshal.Cast<T, double>(b), ldb, double.CreateTruncating(beta), MemoryMarshal.Cast<T, double>(c), ldc);
        else
            GemmDirect.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Instruction set of the micro-kernel; tests may force a lower one.</summary>
    internal enum Isa { Auto, Avx512, Avx2, Scalar }

    /// <summary>Forces a kernel for tests (Auto = best supported).</summary>
    internal static Isa ForcedIsa { get; set; } = Isa.Auto;

    /// <summary>The kernel used for the next call: the forced one if supported, else the best supported.</summary>
    internal static Isa ActiveIsa
    {
        get
        {
            bool avx512 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
            bool avx2 = System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
            return ForcedIsa switch
            {
                Isa.Scalar => Isa.Scalar,
                Isa.Avx2 => avx2 ? Isa.Avx2 : Isa.Scalar,
                _ => avx512 ? Isa.Avx512 : avx2 ? Isa.Avx2 : Isa.Scalar,
            };
        }
    }

    /// <summary>
    /// Whether the shape takes the direct (unpacked) path: a matrix-vector product, or (without AVX-512) a
    /// tiny one.
    /// </summary>
    internal static bool IsDirect(int m, int n, int k, Isa isa) =>
        m == 1 || n == 1 || (isa != Isa.Avx512 && (long)m * n * k <= 32 * 32 * 32);

    /// <summary>
    /// Products with at most this many multiply-adds take the in-place path (GemmInPlace.cs, AVX-512 only):
    /// op(A) is not packed. NOTE: chosen from bench gemm runs on the loaded 2-core EPYC (docs/perf/gemm-small.md:
    /// at n = 512 both paths are at OpenBLAS's speed);
    /// tests lower or raise it to reach both paths.
    /// </summary>
    internal static long InPlaceMacs { get; set; } = 512L * 512 * 512;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dispatch<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var isa = ActiveIsa;
        if (IsDirect(m, n, k, isa))
        {
            GemmDirect.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        bool inPlace = isa == Isa.Avx512 && (long)m * n * k <= InPlaceMacs;
        if (typeof(T) == typeof(float))
        {
            var args = GemmArgs<float>.Create(transA, transB, m, n, k, float.CreateTruncating(alpha), lda, ldb, float.CreateTruncating(beta), ldc);
            var fa = MemoryMarshal.Cast<T, float>(a); var fb = MemoryMarshal.Cast<T, float>(b); var fc = MemoryMarshal.Cast<T, float>(c);
            switch (isa)
            {
                case Isa.Avx512 when inPlace && GemmDot.Applies(args): GemmDot.Run(args, fa, fb, fc); break;
                case Isa.Avx512 when inPlace: GemmInPlace.Run<float, Avx512InPlaceKernelF32>(args, fa, fb, fc); break;
                case Isa.Avx512: GemmBlocked.Run<float, Avx512KernelF32>(args, fa, fb, fc); break;
                case Isa.Avx2: GemmBlocked.Run<float, Avx2KernelF32>(args, fa, fb, fc); break;
                default: GemmBlocked.Run<float, ScalarKernel<float>>(args, fa, fb, fc); break;
            }
        }
        else
        {
            var args = GemmArgs<double>.Create(transA, transB, m, n, k, double.CreateTruncating(alpha), lda, ldb, double.CreateTruncating(beta), ldc);
            var da = MemoryMarshal.Cast<T, double>(a); var db = MemoryMarshal.Cast<T, double>(b); var dc = MemoryMarshal.Cast<T, double>(c);
            switch (isa)
            {
                case Isa.Avx512 when inPlace && GemmDot.Applies(args): GemmDot.Run(args, da, db, dc); break;
                case Isa.Avx512 when inPlace: GemmInPlace.Run<double, Avx512InPlaceKernelF64>(args, da, db, dc); break;
                case Isa.Avx512: GemmBlocked.Run<double, Avx512KernelF64>(args, da, db, dc); break;
                case Isa.Avx2: GemmBlocked.Run<double, Avx2KernelF64>(args, da, db, dc); break;
                default: GemmBlocked.Run<double, ScalarKernel<double>>(args, da, db, dc); break;
            }
        }
    }

    private static void CheckOperand(string name, string ldName, int length, int ld, int rows, int cols, bool transposed)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"Gemm: {ldName}={ld} is smaller than the row length {cols} of {name} (stored {(transposed ? "transposed " : "")}as {rows} x {cols}).", ldName);
        long need = (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException($"Gemm: {name} has length {length} but a {rows} x {cols} matrix with {ldName}={ld} needs {need} elements.", name);
    }

    private static void Scale<T>(int m, int n, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
