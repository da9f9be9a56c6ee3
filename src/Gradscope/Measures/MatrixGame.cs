namespace Gradscope.Measures;

/// <summary>
/// The value of a finite zero-sum game M (n x m): the column player picks a in the simplex of R^m and
/// maximizes, the row player picks D in the simplex of R^n and minimizes,
/// v = max_a min_i (M a)_i = min_D max_j (D^T M)_j (von Neumann).
/// Solved as a linear program: with A = M + c &gt; 0, max 1^T p s.t. A^T p &lt;= 1, p &gt;= 0 has optimum
/// 1/v(A), D = p v(A), the dual gives a, and v(M) = v(A) - c. Columns can be added one at a time
/// (<see cref="AddColumn"/>): each is a new constraint, restored by dual simplex pivots from the previous
/// optimum (warm start), which is what column generation over a huge strategy set needs.
/// The result carries both strategies and the certificates they give:
/// <see cref="MatrixGameResult.Lower"/> = min_i (M a)_i &lt;= v &lt;= max_j (D^T M)_j = <see cref="MatrixGameResult.Upper"/>.
/// </summary>
public sealed class MatrixGame
{
    private const double Eps = 1e-12;        // reduced-cost tolerance
    private const double PivotTol = 1e-9;    // NOTE: smaller pivot elements are cancellation noise; pivoting on them wrecks the tableau
    private readonly int _n;
    private readonly double _shift;
    private readonly List<double[]> _columns = [];   // M[:, j]
    private readonly List<double[]> _rows = [];      // tableau rows over p (n) and slacks (capacity)
    private readonly List<double> _rhs = [];
    private readonly List<int> _basis = [];
    private double[] _z;                              // reduced costs
    private double _zValue;                           // objective 1^T p
    private int _capacity;

    /// <summary>An empty game with <paramref name="rows"/> row strategies; every entry added must exceed 1 - <paramref name="shift"/>.</summary>
    public MatrixGame(int rows, double shift)
    {
        if (rows < 1) throw new ArgumentException($"MatrixGame: needs at least one row strategy, got {rows}.");
        _n = rows; _shift = shift; _capacity = 16;
        _z = new double[rows + _capacity];
        for (int i = 0; i < rows; i++) _z[i] = -1;
    }

    /// <summary>Number of column strategies so far.</summary>
    public int Columns => _columns.Count;

    /// <summary>Solves the game M (n x m) from scratch; throws on an empty or non-finite matrix.</summary>
    public static MatrixGameResult Solve(double[,] m)
    {
        int n = m.GetLength(0), k = m.GetLength(1);
        if (n == 0 || k == 0) throw new ArgumentException($"MatrixGame: the matrix is {n} x {k}; both sides need at least one strategy.");
        double min = double.PositiveInfinity;
        foreach (double v in m)
        {
            if (!double.IsFinite(v)) throw new ArgumentException("MatrixGame: the matrix has a non-finite entry.");
            min = Math.Min(min, v);
        }
        var game = new MatrixGame(n, 1 - min);   // A = M + shift has entries >= 1, so v(A) >= 1 > 0
        for (int j = 0; j < k; j++)
        {
            var col = new double[n];
            for (int i = 0; i < n; i++) col[i] = m[i, j];
            game.AddColumn(col, optimize: false);
        }
        return game.Optimize();
    }

    /// <summary>Adds column strategy M[:, j] = <paramref name="column"/> and (by default) re-optimizes from the previous optimum.</summary>
    public MatrixGameResult? AddColumn(ReadOnlySpan<double> column, bool optimize = true)
    {
        if (column.Length != _n) throw new ArgumentException($"MatrixGame: a column of {column.Length} entries, expected {_n}.");
        foreach (double v in column)
            if (!double.IsFinite(v) || v + _shift < 1 - 1e-12) throw new ArgumentException($"MatrixGame: entry {v} is not finite or below 1 - shift = {1 - _shift}.");
        int k = _rows.Count;
        if (k == _capacity) Grow();
        _columns.Add(column.ToArray());
        var row = new double[_n + _capacity];
        for (int i = 0; i < _n; i++) row[i] = column[i] + _shift;
        row[_n + k] = 1;
        double rhs = 1;
        // Express the new constraint in the current basis: zero its entries at every basic column.
        for (int r = 0; r < k; r++)
        {
            double f = row[_basis[r]];
            if (f == 0) continue;
            var br = _rows[r];
            for (int c = 0; c < row.Length; c++) row[c] -= f * br[c];
            rhs -= f * _rhs[r];
        }
        _rows.Add(row); _rhs.Add(rhs); _basis.Add(_n + k);
        return optimize ? Optimize() : null;
    }

    /// <summary>Restores feasibility (dual simplex), then optimality (primal simplex), and returns the solution.</summary>
    public MatrixGameResult Optimize()
    {
        int width = _n + _rows.Count;
        long budget = 50L * width * width + 1000;
        long pivots = 0;
        // Dual simplex: reduced costs stay >= 0 while negative right-hand sides are pivoted out.
        while (true)
        {
            // NOTE: most negative right-hand side first; after a long run Bland's rule (the infeasible row with the
            // lowest basic index leaves, ties in the ratio go to the lowest column) prevents cycling on degenerate games.
            bool bland = pivots > 2 * width;
            int leave = -1; double worst = -1e-12;
            for (int r = 0; r < _rows.Count; r++)
                if (_rhs[r] < -1e-12 && (bland ? leave < 0 || _basis[r] < _basis[leave] : _rhs[r] < worst)) { worst = _rhs[r]; leave = r; }
            if (leave < 0) break;
            var lr = _rows[leave];
            int enter = -1; double best = double.PositiveInfinity;
            for (int c = 0; c < width; c++)
                if (lr[c] < -PivotTol)
                {
                    double ratio = Math.Max(0, _z[c]) / -lr[c];
                    if (ratio < best) { best = ratio; enter = c; }
                }
            if (enter < 0) throw new InvalidOperationException("MatrixGame: the linear program became infeasible (cannot happen: p = 0 is feasible).");
            Pivot(leave, enter);
            if (++pivots > budget) throw new InvalidOperationException($"MatrixGame: no optimum after {budget} simplex pivots.");
        }
        // Primal simplex. NOTE: Dantzig's rule (most negative reduced cost) is fast but can cycle on degenerate
        // games; after a run of pivots without progress Bland's rule (lowest index enters) takes over.
        long stalled = 0;
        double objective = _zValue;
        while (true)
        {
            bool bland = stalled > 2 * width;
            int enter = -1; double mostNegative = -Eps;
            for (int c = 0; c < width; c++)
                if (_z[c] < mostNegative) { enter = c; if (bland) break; mostNegative = _z[c]; }
            if (enter < 0) break;
            int leave = -1; double best = double.PositiveInfinity;
            for (int r = 0; r < _rows.Count; r++)
                if (_rows[r][enter] > PivotTol)
                {
                    double ratio = Math.Max(0, _rhs[r]) / _rows[r][enter];
                    if (ratio < best - 1e-15 || (Math.Abs(ratio - best) <= 1e-15 && _basis[r] < _basis[leave])) { best = ratio; leave = r; }
                }
            if (leave < 0) throw new InvalidOperationException("MatrixGame: the linear program is unbounded (cannot happen for A > 0).");
            Pivot(leave, enter);
            if (_zValue > objective + 1e-15) { objective = _zValue; stalled = 0; } else stalled++;
            if (++pivots > budget) throw new InvalidOperationException($"MatrixGame: no optimum after {budget} simplex pivots.");
        }
        LastPivots = pivots;
        return Result();
    }

    /// <summary>Simplex pivots of the last <see cref="Optimize"/>.</summary>
    public long LastPivots { get; private set; }

    private void Pivot(int leave, int enter)
    {
        var lr = _rows[leave];
        double piv = lr[enter];
        for (int c = 0; c < lr.Length; c++) lr[c] /= piv;
        _rhs[leave] /= piv;
        for (int r = 0; r < _rows.Count; r++)
        {
            if (r == leave) continue;
            var row = _rows[r];
            double f = row[enter];
            if (f == 0) continue;
            for (int c = 0; c < row.Length; c++) row[c] -= f * lr[c];
            _rhs[r] -= f * _rhs[leave];
        }
        double fz = _z[enter];
        if (fz != 0)
        {
            for (int c = 0; c < _z.Length; c++) _z[c] -= fz * lr[c];
            _zValue -= fz * _rhs[leave];
        }
        _basis[leave] = enter;
    }

    private void Grow()
    {
        int cap = _capacity * 2;
        for (int r = 0; r < _rows.Count; r++)
        {
            var bigger = new double[_n + cap];
            Array.Copy(_rows[r], bigger, _rows[r].Length);
            _rows[r] = bigger;
        }
        var z = new double[_n + cap];
        Array.Copy(_z, z, _z.Length);
        _z = z;
        _capacity = cap;
    }

    private MatrixGameResult Result()
    {
        int n = _n, k = _rows.Count;
        var d = new double[n];
        for (int r = 0; r < k; r++) if (_basis[r] < n) d[_basis[r]] = Math.Max(0, _rhs[r]);
        var a = new double[k];
        for (int j = 0; j < k; j++) a[j] = Math.Max(0, _z[n + j]);   // dual values of the constraints
        Normalize(d); Normalize(a);
        double lower = double.PositiveInfinity, upper = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++) s += _columns[j][i] * a[j];
            lower = Math.Min(lower, s);
        }
        for (int j = 0; j < k; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += d[i] * _columns[j][i];
            upper = Math.Max(upper, s);
        }
        return new MatrixGameResult(1 / _zValue - _shift, lower, upper, d, a);
    }

    private static void Normalize(double[] x)
    {
        double s = x.Sum();
        if (!(s > 0)) throw new InvalidOperationException("MatrixGame: a strategy came out as all zeros.");
        for (int i = 0; i < x.Length; i++) x[i] /= s;
    }
}

/// <summary>
/// A solved matrix game: the LP value, the certificates min_i (M a)_i (<see cref="Lower"/>) and max_j (D^T M)_j
/// (<see cref="Upper"/>) that bracket the true value, the row strategy D and the column strategy a.
/// </summary>
public sealed record MatrixGameResult(double Value, double Lower, double Upper, double[] RowStrategy, double[] ColumnStrategy);
