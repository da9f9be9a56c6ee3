namespace Gradscope.Tests.Autodiff;

/// <summary>Naive direct convolution, written from the definition, as an independent reference.</summary>
public static class ConvReference
{
    /// <summary>y[n,o,i,j] = b[o] + sum_{c,u,v} w[o,c,u,v] x[n,c,i s-p+u, j s-p+v] (zero outside); x (B,C,H,W), w (O,C,k,k).</summary>
    public static double[] Conv2d(double[] x, int batch, int c, int h, int wd, double[] w, int o, int k, double[]? b, int s, int p, out int oh, out int ow)
    {
        oh = (h + 2 * p - k) / s + 1; ow = (wd + 2 * p - k) / s + 1;
        var y = new double[batch * o * oh * ow];
        for (int n = 0; n < batch; n++)
            for (int q = 0; q < o; q++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = b is null ? 0 : b[q];
                        for (int ch = 0; ch < c; ch++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++)
                                {
                                    int hi = i * s - p + u, wi = j * s - p + v;
                                    if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                                    acc += w[((q * c + ch) * k + u) * k + v] * x[((n * c + ch) * h + hi) * wd + wi];
                                }
                        y[((n * o + q) * oh + i) * ow + j] = acc;
                    }
        return y;
    }
}
