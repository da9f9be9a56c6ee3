namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>Whole-network quantities of THEORY.md sections 1, 3 and 5: size, rho, the spectral product and complexity, the path norm.</summary>
internal static class NetworkEntries
{
    public static IEnumerable<IMeasure> All()
    {
        yield return Of("n_params", "p", "number of parameters", "5", N.None, C.Free, Always, (c, s) => s.Set("n_params", c.ParameterCount));
        yield return Of("depth", "L", "number of weight layers", "1", N.None, C.Free, Always, (c, s) => s.Set("depth", c.Weights.Count));
        yield return Of("spectral_product", "prod_k ||T_k||_2", "product of the layers' spectral norms (the Lipschitz bound of a 1-Lipschitz-activation net)", "5", N.None, C.Weights,
            Always, (c, s) => s.Set("spectral_product", c.Layers.Spec.Aggregate(1.0, (a, b) => a * b)));
        yield return Of("rho", "rho", "prod_k ||T_k||_F", "1", N.Homogeneous, C.Weights, c => c.NotHomogeneous, (c, s) => s.Set("rho", c.Rho));
        yield return Of("spectral_complexity", "R", "(prod_k ||T_k||_2) (sum_k (||T_k^T||_{2,1} / ||T_k||_2)^(2/3))^(3/2) (Bartlett-Foster-Telgarsky 2017); 0 when a layer is zero", "3", N.Homogeneous, C.Weights,
            c => c.NotHomogeneous, (c, s) => s.Set("spectral_complexity", c.Layers.Complexity));
        yield return Of("rho_kernel", "rho_w", "prod_k ||w_k||_F over the reshaped kernels", "1", N.Homogeneous | N.Conv, C.Weights,
            c => NoOperator(c) ?? c.NotHomogeneous, (c, s) => s.Set("rho_kernel", c.Layers.KernelRho));
        yield return Of("spectral_complexity_kernel", "R_w", "R over the reshaped kernels", "3", N.Homogeneous | N.Conv, C.Weights,
            c => NoOperator(c) ?? c.NotHomogeneous ?? (c.Layers.KernelSpec.Any(x => x == 0) ? "a kernel matrix is zero" : null),
            (c, s) => s.Set("spectral_complexity_kernel", SpectralComplexity.From(c.Layers.KernelSpec, c.Layers.Kernel21)));
        yield return Of("path_norm", "||W||_path", "sqrt of the sum over input-output paths of the product of squared weights", "5", N.Homogeneous | N.Dense, C.Weights,
            c => c.NotHomogeneous ?? (c.IsDenseChain ? null : "implemented for dense nets with relu/identity activations only (this net has conv, pooling or other layers)"),
            (c, s) => s.Set("path_norm", PathNorm.OfChain(c.Weights)));
    }

    private static string? NoOperator(MeasureContext c) => c.Layers.AnyOperator ? null
        : "no conv or locally connected layers: every weight is its own operator (the kernel side is the same numbers)";
}
