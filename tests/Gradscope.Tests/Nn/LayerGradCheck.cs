using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Nn;

/// <summary>
/// Float64 central finite differences for a layer, with respect to its input and every parameter:
/// the scalar is f = sum_i r_i y_i with fixed random weights r (a plain sum would hide errors in
/// ops whose outputs sum to a constant, such as batch norm).
/// </summary>
public static class LayerGradCheck
{
    /// <summary>Returns the worst relative error over input and parameter gradients.</summary>
    public static double MaxRelativeError(Layer<double> layer, int[] sampleShape, Tensor<double> x, bool training = true, ulong seed = 99, double h = 1e-5)
    {
        var model = new Sequential<double>(sampleShape, layer);
        var tape = new Tape<double>();
        Tensor<double>? r = null;
        double Eval()
        {
            tape.Reset();
            var y = layer.Forward(tape, tape.Input(x), training);
            r ??= GradCheck.Random(new Rng(seed), 0, y.Value.Shape);
            double s = 0; var ys = y.Value.Span;
            for (int i = 0; i < ys.Length; i++) s += r[i] * ys[i];
            return s;
        }
        Eval();
        tape.Reset();
        model.ZeroGrad();
        var xl = tape.Input(x, true);
        var yl = layer.Forward(tape, xl, training);
        var f = tape.Sum(tape.Mul(yl, tape.Input(r!)));
        tape.Backward(f);
        var gx = xl.Grad!.Span.ToArray();
        var gp = (double[])model.FlatGrad.Clone();
        double worst = 0;
        void Check(Span<double> v, int i, double analytic)
        {
            double v0 = v[i];
            v[i] = v0 + h; double fp = Eval();
            v[i] = v0 - h; double fm = Eval();
            v[i] = v0;
            double fd = (fp - fm) / (2 * h);
            worst = Math.Max(worst, Math.Abs(fd - analytic) / Math.Max(1e-3, Math.Abs(fd) + Math.Abs(analytic)));
        }
        for (int i = 0; i < gx.Length; i++) Check(x.Span, i, gx[i]);
        for (int i = 0; i < gp.Length; i++) Check(model.Flat, i, gp[i]);
        return worst;
    }
}
