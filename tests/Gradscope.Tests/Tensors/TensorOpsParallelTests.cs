using System.Numerics.Tensors;
using Gradscope.Tensors;

namespace Gradscope.Tests.Tensors;

/// <summary>
/// The element-wise passes split between threads (the SGD update, weight decay's scaling, zeroing the gradient)
/// against the single-threaded TensorPrimitives calls and a scalar loop, bit for bit, at 1, 2 and 3 threads, for
/// lengths around the chunk size.
/// </summary>
[Collection("Gemm")]
public sealed class TensorOpsParallelTests
{
    [Fact]
    public void SplitPassesEqualTheSingleThreadedOnesBitForBit()
    {
        int saved = Parallelism.Threads;
        var rng = new Rng(5);
        try
        {
            int c = TensorOps.ParallelChunk;
            foreach (int n in new[] { 0, 1, 17, c - 1, c, c + 1, 2 * c + 15, 5 * c + 3 })
            {
                var x = new float[n]; var y0 = new float[n];
                for (int i = 0; i < n; i++) { x[i] = (float)rng.NextNormal(); y0[i] = (float)rng.NextNormal(); }
                var xd = x.Select(v => (double)v * 1.1).ToArray(); var yd0 = y0.Select(v => (double)v * 0.9).ToArray();
                float a = -0.0123f; double ad = -0.0123;
                var axpy = (float[])y0.Clone(); TensorPrimitives.MultiplyAdd(x, a, axpy, axpy);
                var axpyD = (double[])yd0.Clone(); TensorPrimitives.MultiplyAdd(xd, ad, axpyD, axpyD);
                var scaled = (float[])y0.Clone(); TensorPrimitives.Multiply(scaled, 0.999f, scaled);
                // the same roundings as a scalar loop: x a rounded, then the sum
                for (int i = 0; i < n; i++) Assert.Equal(y0[i] + x[i] * a, axpy[i]);
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    Parallelism.Threads = threads;
                    var y = (float[])y0.Clone(); TensorOps.MultiplyAddInPlace<float>(x, a, y);
                    Assert.Equal(axpy, y);
                    var yd = (double[])yd0.Clone(); TensorOps.MultiplyAddInPlace<double>(xd, ad, yd);
                    Assert.Equal(axpyD, yd);
                    var s = (float[])y0.Clone(); TensorOps.ScaleInPlace<float>(s, 0.999f);
                    Assert.Equal(scaled, s);
                    var z = (float[])y0.Clone(); TensorOps.ClearParallel<float>(z);
                    Assert.All(z, v => Assert.Equal(0f, v));
                }
            }
            Assert.Throws<ArgumentException>(() => TensorOps.MultiplyAddInPlace<float>(new float[3], 1f, new float[4]));
        }
        finally { Parallelism.Threads = saved; }
    }
}
