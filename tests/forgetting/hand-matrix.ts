/** T = 3 matrix worked by hand (tests of the metrics and of rftlab forgetting): AvgAcc 0.7, BWT −0.25, FM 0.25, FWT 0.2. */
export const HAND_T3 = {
  tasks: ["a", "b", "c"],
  matrix: [
    [0.1, 0.2, 0.3],
    [0.9, 0.4, 0.3],
    [0.6, 0.8, 0.5],
    [0.5, 0.7, 0.9],
  ],
};
