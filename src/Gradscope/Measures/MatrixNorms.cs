using System.Numerics.Tensors;

namespace Gradscope.Measures;

/// <summary>Frobenius norm ||W||_F = sqrt(sum_ij W_ij^2) and the row-sum norm ||W^T||_{2,1} (THEORY.md sections 3, 5).</summary>
public static class FrobeniusNorm
{
    /// <summary>||W||_F.</summary>
    public static double Of(WeightMatrix w) => TensorPrimitives.Norm<double>(w.Data);

    /// <summary>
    /// ||W||_F^2 as a plain sum of squares in index order. NOTE: no square root and back, so a difference of these (the
    /// layer balance, conserved by gradient flow) keeps only the rounding of the sums; the registry's layer.{k}.balance and
    /// jiang.param_norm and the balance claim all use it.
    /// </summary>
    public static double Squared(ReadOnlySpan<double> w)
    {
        double a = 0;
        foreach (double v in w) a += v * v;
        return a;
    }

    /// <summary>||W||_F^2 of one weight (<see cref="Squared(ReadOnlySpan{double})"/>).</summary>
    public static double Squared(WeightMatrix w) => Squared(w.Data);

    /// <summary>sum_k ||W_k||_F^2 over the weights, in layer order (Jiang et al. 2020 eq. 42; the registry's jiang.param_norm).</summary>
    public static double SquaredSum(IReadOnlyList<WeightMatrix> weights) => weights.Sum(Squared);

    /// <summary>||W^T||_{2,1} = sum over rows r of W of ||W[r,:]||_2 (THEORY.md section 3).</summary>
    public static double RowSum21(WeightMatrix w)
    {
        double s = 0;
        for (int r = 0; r < w.Rows; r++) s += TensorPrimitives.Norm(w.Row(r));
        return s;
    }
}

/// <summary>rho = prod_k ||W_k||_F, the product of the layers' Frobenius norms (THEORY.md section 1).</summary>
public static class Rho
{
    /// <summary>prod_k ||W_k||_F over <paramref name="weights"/>.</summary>
    public static double Of(IReadOnlyList<WeightMatrix> weights) => Product(weights.Select(FrobeniusNorm.Of).ToArray());

    /// <summary>prod_k ||T_k||_F over the operators the layers apply (<see cref="LayerOperator.Of"/>; conv layers in closed form).</summary>
    public static double OfOperators(IReadOnlyList<LayerOperator> operators) => Product(operators.Select(op => op.Frobenius()).ToArray());

    /// <summary>The product of given per-layer Frobenius norms, in layer order (the one place rho is formed; the registry's
    /// "rho" and "rho_kernel", the training probe's rho and the claims all come here).</summary>
    public static double Product(ReadOnlySpan<double> frobeniusNorms)
    {
        double p = 1;
        foreach (double f in frobeniusNorms) p *= f;
        return p;
    }
}
