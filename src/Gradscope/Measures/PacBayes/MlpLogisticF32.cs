namespace Gradscope.Measures.PacBayes;

using Gradscope.Tensors;

/// <summary>
/// The mean logistic loss of a binary dense/ReLU net (one output f, label y in {0, 1}, y' = 2y - 1:
/// l = ln(1 + e^(-y' f))) over a minibatch and its gradient with respect to every weight, in float32 with
/// buffers allocated once for a largest batch, so a call allocates nothing. Forward: Z_l = A_l W_l^T + b_l,
/// A_(l+1) = relu(Z_l); backward: G_L = dl/df / batch, dW_l = G_l^T A_l, db_l = column sums of G_l,
/// G_(l-1) = (G_l W_l) o 1[A_l &gt; 0]; every product goes through <see cref="Gemm"/>.
/// </summary>
public sealed class MlpLogisticF32
{
    private readonly MlpLayout _layout;
    private readonly float[][] _acts;     // A_0 (the input batch) .. A_L (the outputs)
    private readonly float[][] _grads;    // G_l for each layer's output
    private readonly int _maxBatch;

    /// <summary>Buffers for batches of up to <paramref name="maxBatch"/> examples; the net must have one output.</summary>
    public MlpLogisticF32(MlpLayout layout, int maxBatch)
    {
        if (layout.Outputs != 1) throw new NotSupportedException($"PAC-Bayes posterior: the surrogate is the logistic loss of a binary net (one output); the net has {layout.Outputs}.");
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "PAC-Bayes posterior: the batch size must be >= 1.");
        _layout = layout; _maxBatch = maxBatch;
        int layers = layout.Layers.Count;
        _acts = new float[layers + 1][];
        _grads = new float[layers][];
        _acts[0] = new float[maxBatch * layout.Inputs];
        for (int l = 0; l < layers; l++)
        {
            _acts[l + 1] = new float[maxBatch * layout.Layers[l].Out];
            _grads[l] = new float[maxBatch * layout.Layers[l].Out];
        }
    }

    /// <summary>The input buffer (batch x inputs, row-major) that the caller fills before <see cref="LossAndGradient"/>.</summary>
    public Span<float> Input(int batch) => _acts[0].AsSpan(0, batch * _layout.Inputs);

    /// <summary>
    /// The mean logistic loss of the batch in <see cref="Input"/> with labels <paramref name="labels"/> at weights
    /// <paramref name="weights"/> (flat layout), and its gradient written to <paramref name="gradient"/> (every
    /// weight and bias entry of the layout is overwritten).
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<float> weights, ReadOnlySpan<int> labels, Span<float> gradient)
    {
        int b = labels.Length;
        if (b < 1 || b > _maxBatch) throw new ArgumentException($"PAC-Bayes posterior: batch of {b}, the buffers hold 1 to {_maxBatch}.");
        var layers = _layout.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            var (nin, nout, wo, bo, relu) = layers[l];
            var a = _acts[l].AsSpan(0, b * nin);
            var z = _acts[l + 1].AsSpan(0, b * nout);
            Gemm.Multiply(false, true, b, nout, nin, 1f, a, nin, weights.Slice(wo, nin * nout), nin, 0f, z, nout);
            if (bo >= 0 || relu)
            {
                var bias = bo >= 0 ? weights.Slice(bo, nout) : default;
                for (int k = 0; k < b; k++)
                {
                    var row = z.Slice(k * nout, nout);
                    if (bo >= 0) for (int o = 0; o < nout; o++) row[o] += bias[o];
                    if (relu) for (int o = 0; o < nout; o++) row[o] = Math.Max(row[o], 0f);
                }
            }
        }
        // loss and dl/df per example, in double: l = softplus(-u), dl/du = -sigmoid(-u), u = y' f
        var f = _acts[layers.Count];
        var g = _grads[layers.Count - 1];
        double loss = 0;
        for (int k = 0; k < b; k++)
        {
            double y = labels[k] == 1 ? 1 : labels[k] == 0 ? -1 : throw new ArgumentException($"PAC-Bayes posterior: binary labels are 0 or 1, got {labels[k]}.");
            double x = -y * f[k];
            loss += Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            double sig = x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
            g[k] = layers[^1].ReluAfter && !(f[k] > 0) ? 0f : (float)(-y * sig / b);
        }
        for (int l = layers.Count - 1; l >= 0; l--)
        {
            var (nin, nout, wo, bo, _) = layers[l];
            var gl = _grads[l].AsSpan(0, b * nout);
            var a = _acts[l].AsSpan(0, b * nin);
            Gemm.Multiply(true, false, nout, nin, b, 1f, gl, nout, a, nin, 0f, gradient.Slice(wo, nin * nout), nin);
            if (bo >= 0)
            {
                var gb = gradient.Slice(bo, nout);
                gb.Clear();
                for (int k = 0; k < b; k++) { var row = gl.Slice(k * nout, nout); for (int o = 0; o < nout; o++) gb[o] += row[o]; }
            }
            if (l == 0) break;
            var gPrev = _grads[l - 1].AsSpan(0, b * nin);
            Gemm.Multiply(false, false, b, nin, nout, 1f, gl, nout, weights.Slice(wo, nin * nout), nin, 0f, gPrev, nin);
            var aPrev = _acts[l].AsSpan(0, b * nin);   // relu(Z_(l-1)): the mask of the previous layer's ReLU
            if (layers[l - 1].ReluAfter)
                for (int i = 0; i < gPrev.Length; i++) if (!(aPrev[i] > 0)) gPrev[i] = 0;
        }
        return loss / b;
    }
}
