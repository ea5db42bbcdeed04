"""Random draws for spot checks (双随机) that nobody can steer: a committed seed, revealed at the draw."""
