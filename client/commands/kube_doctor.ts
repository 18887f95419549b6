/** @module placeholder */
export const kubeDoctorCommand = undefined as never;
