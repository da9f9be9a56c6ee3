using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>Both forms of the norm-product bound for a (conv) net and their ratio dense-equivalent / kernel.</summary>
public sealed record ConvBoundResult(double KernelNorm, double DenseEquivalent, double Ratio, double KernelRho, double DenseEquivalentRho);

/// <summary>
/// The norm-based bound of paper 4 (Poggio et al., square loss dynamics) for convolutional nets
/// (THEORY.md section 5): the Frobenius-product bound B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) gamma) with
/// rho = prod_k ||w_k||_F over the kernels w_k (conv weight (O, C, k, k), each weight shared across positions,
/// counted once), against the same bound with rho = prod_k ||M_k||_F over the dense-equivalent (Toeplitz)
/// matrices M_k. Dense layers enter both products with ||W_k||_F. Implemented form: the Golowich-Rakhlin-Shamir
/// bound of <see cref="FrobeniusProductBound"/> with the two choices of rho; the ratio is their quotient.
/// ||M||_F is computed without forming M: ||M||_F^2 = sum_{u,v} n_H(u) n_W(v) sum_{o,c} W[o,c,u,v]^2 with
/// n_H(u) the number of output rows whose tap u falls inside the (unpadded) input.
/// </summary>
public static class ConvKernelNormBound
{
    /// <summary>Both bounds for <paramref name="model"/>; throws NotSupportedException for layers other than dense/conv2d/flatten/activations.</summary>
    public static ConvBoundResult Of<T>(Sequential<T> model, double maxInputNorm, int n, double gamma) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double kernelRho = 1, denseRho = 1;
        int layers = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var l = model.Layers[i];
            switch (l)
            {
                case Dense<T> d:
                    {
                        double f = Norm(d.Weight.Value.Span);
                        kernelRho *= f; denseRho *= f; layers++;
                        break;
                    }
                case Conv2d<T> c:
                    kernelRho *= Norm(c.Weight.Value.Span);
                    denseRho *= DenseEquivalentFrobenius(c, model.LayerInputShapes[i]);
                    layers++;
                    break;
                case Flatten<T>:
                    break; // a reshape: no weights, the same vector
                default:
                    if (!l.IsActivation) throw new NotSupportedException($"ConvKernelNormBound: layer {i} is '{l.Kind}'; supported: dense, conv2d, flatten and activations.");
                    break;
            }
        }
        double kb = FrobeniusProductBound.Of(maxInputNorm, layers, kernelRho, n, gamma);
        double db = FrobeniusProductBound.Of(maxInputNorm, layers, denseRho, n, gamma);
        return new ConvBoundResult(kb, db, db / kb, kernelRho, denseRho);
    }

    /// <summary>||M||_F of the dense-equivalent matrix of <paramref name="conv"/> on per-sample inputs of shape <paramref name="inputShape"/> (<see cref="ConvOperator.Frobenius"/>).</summary>
    public static double DenseEquivalentFrobenius<T>(Conv2d<T> conv, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>
        => ConvOperator.Create(conv, inputShape).Frobenius();

    private static double Norm<T>(ReadOnlySpan<T> s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double t = 0;
        foreach (var x in s) { double d = double.CreateChecked(x); t += d * d; }
        return Math.Sqrt(t);
    }
}
