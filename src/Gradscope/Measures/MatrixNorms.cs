using System.Numerics.Tensors;

namespace Gradscope.Measures;

/// <summary>Frobenius norm ||W||_F = sqrt(sum_ij W_ij^2) and the row-sum norm ||W^T||_{2,1} (THEORY.md sections 3, 5).</summary>
public static class FrobeniusNorm
{
    /// <summary>||W||_F.</summary>
    public static double Of(WeightMatrix w) => TensorPrimitives.Norm<double>(w.Data);

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
