using Gradscope.Autodiff;
using Gradscope.Tensors;

namespace Gradscope.Tests;

/// <summary>Central finite-difference gradient checks in float64.</summary>
public static class GradCheck
{
    /// <summary>
    /// Builds the scalar (or summed) output with <paramref name="build"/> from leaves over
    /// <paramref name="inputs"/>, back-propagates, and compares each input's gradient with
    /// (f(x + h e_i) - f(x - h e_i)) / 2h. Returns the worst relative error.
    /// </summary>
    public static double MaxRelativeError(Func<Tape<double>, Node<double>[], Node<double>> build, Tensor<double>[] inputs, double h = 1e-6)
    {
        var tape = new Tape<double>();
        double Eval()
        {
            tape.Reset();
            var leaves = inputs.Select(x => tape.Input(x, false)).ToArray();
            var y = build(tape, leaves);
            double s = 0; foreach (var v in y.Value.Span) s += v;
            return s;
        }
        tape.Reset();
        var ls = inputs.Select(x => tape.Input(x, true)).ToArray();
        var output = build(tape, ls);
        tape.Backward(output);
        var analytic = ls.Select(l => l.Grad!.Span.ToArray()).ToArray();
        double worst = 0;
        for (int k = 0; k < inputs.Length; k++)
        {
            var span = inputs[k].Span;
            for (int i = 0; i < span.Length; i++)
            {
                double x0 = span[i];
                span[i] = x0 + h; double fp = Eval();
                span[i] = x0 - h; double fm = Eval();
                span[i] = x0;
                double fd = (fp - fm) / (2 * h);
                double err = Math.Abs(fd - analytic[k][i]) / Math.Max(1e-3, Math.Abs(fd) + Math.Abs(analytic[k][i]));
                worst = Math.Max(worst, err);
            }
        }
        return worst;
    }

    /// <summary>A tensor of N(0,1) draws (values kept away from 0 by at least <paramref name="minAbs"/> to avoid kinks).</summary>
    public static Tensor<double> Random(Rng rng, double minAbs, params int[] shape)
    {
        var t = new Tensor<double>(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            double v;
            do v = rng.NextNormal(); while (Math.Abs(v) < minAbs);
            s[i] = v;
        }
        return t;
    }
}
